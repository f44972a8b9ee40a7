import { expect, test } from "bun:test";
import { SettingsError } from "../../../../src/manager/jobs/job-types/errors";
import { checkJobSettings } from "../../../../src/manager/jobs/job-types/settings-check";
import type { AvailableJobSetting } from "../../../../src/manager/jobs/job-types/types";
import { thrownBy } from "../../../support/thrown";

const settings: AvailableJobSetting[] = [
  { key: "message", type: "string", required: true },
  { key: "repeats", type: "int32", default: 1 },
  { key: "depth", type: "int32", required: true, default: 0 },
  { key: "mode", type: "string", choices: ["images", "video"], default: "images" },
  { key: "levels", type: "int32", choices: ["ignored"] },
  { key: "blob", type: "json-ish" },
];

test("defaults fill missing and null keys; given values are kept", () => {
  const out = checkJobSettings({ settings }, { message: "hi", repeats: null, mode: "video", other: 1 });
  expect(out).toEqual({ message: "hi", repeats: 1, depth: 0, mode: "video", other: 1 });
});

test("a missing required setting without default is rejected, naming it", () => {
  const err = thrownBy(SettingsError, () => checkJobSettings({ settings }, { repeats: 2 }));
  expect(err.setting).toBe("message");
  expect(err.message).toBe('setting "message" is required');
});

test("an empty string counts as given (the Blender add-on sends every key)", () => {
  expect(checkJobSettings({ settings }, { message: "" }).message).toBe("");
});

test("a string value outside the choices is rejected; choices on other types are ignored", () => {
  const err = thrownBy(SettingsError, () => checkJobSettings({ settings }, { message: "m", mode: "gif" }));
  expect(err.setting).toBe("mode");
  expect(err.message).toBe('setting "mode" must be one of "images", "video", not "gif"');
  expect(checkJobSettings({ settings }, { message: "m", levels: 3 }).levels).toBe(3);
});

test("objects and arrays for scalar settings are rejected; other type mismatches pass", () => {
  expect(thrownBy(SettingsError, () => checkJobSettings({ settings }, { message: ["a"] })).message).toBe(
    'setting "message" must be a string, not an array',
  );
  expect(
    thrownBy(SettingsError, () => checkJobSettings({ settings }, { message: "m", repeats: { n: 1 } }))
      .setting,
  ).toBe("repeats");
  expect(checkJobSettings({ settings }, { message: 5, repeats: "3", blob: { a: 1 } })).toMatchObject({
    message: 5,
    repeats: "3",
  });
});

test("defaults are copied, not shared", () => {
  const withObject: AvailableJobSetting[] = [{ key: "o", type: "x", default: { a: 1 } }];
  const out = checkJobSettings({ settings: withObject }, {});
  (out.o as { a: number }).a = 2;
  expect(withObject[0]?.default).toEqual({ a: 1 });
});

test("a job type without settings accepts anything", () => {
  expect(checkJobSettings({ settings: null }, { x: 1 })).toEqual({ x: 1 });
});
