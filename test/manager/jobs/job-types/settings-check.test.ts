import { expect, test } from "bun:test";
import { SettingsError } from "../../../../src/manager/jobs/job-types/errors";
import { checkJobSettings } from "../../../../src/manager/jobs/job-types/settings-check";
import type { AvailableJobSetting } from "../../../../src/manager/jobs/job-types/types";
import { thrownBy } from "../../../support/thrown";

const settings: AvailableJobSetting[] = [
  { key: "message", type: "string", required: true },
  { key: "repeats", type: "int32", default: 1 },
  { key: "depth", type: "int32", required: true, default: 0, propargs: { min: 0, max: 32 } },
  { key: "mode", type: "string", choices: ["images", "video"], default: "images" },
  { key: "levels", type: "int32", choices: ["ignored"] },
  { key: "fps", type: "float" },
  { key: "previews", type: "bool" },
  { key: "scene", type: "string", required: true, eval: "C.scene.name", visible: "web" },
  { key: "blob", type: "json-ish" },
];

const problemsOf = (submitted: Record<string, unknown>) =>
  thrownBy(SettingsError, () => checkJobSettings({ settings }, submitted)).problems;

test("defaults fill missing and null keys; given values are kept", () => {
  const out = checkJobSettings({ settings }, { message: "hi", repeats: null, mode: "video" });
  expect(out).toEqual({ message: "hi", repeats: 1, depth: 0, mode: "video" });
});

test("a missing required setting without default or eval is rejected, naming it", () => {
  const err = thrownBy(SettingsError, () => checkJobSettings({ settings }, { repeats: 2 }));
  expect(err.problems).toEqual([{ setting: "message", problem: "required" }]);
  expect(err.message).toBe("message: required");
});

test("a required setting with an eval expression may be left out (the add-on computes it)", () => {
  expect(checkJobSettings({ settings }, { message: "m" })).not.toHaveProperty("scene");
});

test("an empty string counts as given (the Blender add-on sends every key)", () => {
  expect(checkJobSettings({ settings }, { message: "" }).message).toBe("");
});

test("each value is checked against its declared type", () => {
  expect(problemsOf({ message: 5, repeats: "two", fps: "24", previews: "yes", blob: { a: 1 } })).toEqual([
    { setting: "message", problem: "expected a string, got 5" },
    { setting: "repeats", problem: 'expected a whole number (int32), got "two"' },
    { setting: "fps", problem: 'expected a number, got "24"' },
    { setting: "previews", problem: 'expected true or false, got "yes"' },
  ]);
  expect(problemsOf({ message: ["a"], repeats: 1.5 })).toEqual([
    { setting: "message", problem: "expected a string, got an array" },
    { setting: "repeats", problem: "expected a whole number (int32), got 1.5" },
  ]);
  expect(problemsOf({ message: "m", repeats: 2 ** 31 })[0]?.setting).toBe("repeats");
});

test("whole numbers are floats too, as JSON does not tell 24.0 from 24", () => {
  expect(checkJobSettings({ settings }, { message: "m", fps: 24, previews: false })).toMatchObject({
    fps: 24,
    previews: false,
  });
});

test("a string value outside the choices is rejected; choices on other types are ignored", () => {
  expect(problemsOf({ message: "m", mode: "gif" })).toEqual([
    { setting: "mode", problem: 'expected one of "images", "video", got "gif"' },
  ]);
  expect(checkJobSettings({ settings }, { message: "m", levels: 3 }).levels).toBe(3);
});

test("propargs min and max bound numbers", () => {
  expect(problemsOf({ message: "m", depth: -1 })).toEqual([
    { setting: "depth", problem: "expected at least 0, got -1" },
  ]);
  expect(problemsOf({ message: "m", depth: 33 })).toEqual([
    { setting: "depth", problem: "expected at most 32, got 33" },
  ]);
});

test("settings the job type does not declare are refused, with the likely intended key", () => {
  expect(problemsOf({ message: "m", repets: 2 })).toEqual([
    { setting: "repets", problem: 'unknown key (did you mean "repeats"?)' },
  ]);
  const short: AvailableJobSetting[] = [
    { key: "message", type: "string" },
    { key: "sleep_duration_seconds", type: "int32" },
  ];
  const err = thrownBy(SettingsError, () => checkJobSettings({ settings: short }, { sleep_secs: 3 }));
  expect(err.message).toBe("sleep_secs: unknown key (the keys here are message, sleep_duration_seconds)");
});

test("every problem of one submission is reported together, in one message", () => {
  const err = thrownBy(SettingsError, () =>
    checkJobSettings({ settings }, { repeats: "two", mode: "gif", colour: "red" }),
  );
  expect(err.problems.map((p) => p.setting)).toEqual(["message", "repeats", "mode", "colour"]);
  expect(err.message).toBe(
    'message: required; repeats: expected a whole number (int32), got "two"; ' +
      'mode: expected one of "images", "video", got "gif"; colour: unknown key',
  );
});

test("defaults are copied, not shared", () => {
  const withObject: AvailableJobSetting[] = [{ key: "o", type: "x", default: { a: 1 } }];
  const out = checkJobSettings({ settings: withObject }, {});
  (out.o as { a: number }).a = 2;
  expect(withObject[0]?.default).toEqual({ a: 1 });
});

test("a job type without a settings list accepts anything", () => {
  expect(checkJobSettings({ settings: null }, { x: 1 })).toEqual({ x: 1 });
});
