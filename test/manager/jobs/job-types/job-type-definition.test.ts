import { expect, test } from "bun:test";
import {
  InvalidJobTypeError,
  toAvailableJobType,
} from "../../../../src/manager/jobs/job-types/job-type-definition";

test("known properties are converted, unknown ones dropped", () => {
  const jt = toAvailableJobType("my-type", {
    label: 12,
    description: "d",
    extra: "ignored",
    settings: [
      {
        key: "k",
        type: "string",
        choices: ["a", 2],
        required: 1,
        editable: 0,
        evalInfo: { showLinkButton: "yes" },
        propargs: { min: 0 },
        default: { nested: [1] },
        visible: "web",
        unknown: true,
      },
    ],
  });
  expect(jt).toEqual({
    name: "my-type",
    label: "12",
    description: "d",
    settings: [
      {
        key: "k",
        type: "string",
        choices: ["a", "2"],
        required: true,
        editable: false,
        evalInfo: { showLinkButton: true, description: "" },
        propargs: { min: 0 },
        default: { nested: [1] },
        visible: "web",
      },
    ],
    etag: jt.etag,
  });
});

test("missing label becomes empty, missing settings become null", () => {
  const jt = toAvailableJobType("t", {});
  expect(jt.label).toBe("");
  expect(jt.settings).toBeNull();
  expect("description" in jt).toBe(false);
});

test("values that cannot be converted invalidate the type", () => {
  expect(() => toAvailableJobType("t", "nope")).toThrow(InvalidJobTypeError);
  expect(() => toAvailableJobType("t", { settings: "a" })).toThrow("JOB_TYPE.settings is not an array");
  expect(() => toAvailableJobType("t", { settings: ["a"] })).toThrow("settings[0] is not an object");
  expect(() => toAvailableJobType("t", { settings: [{ key: "k", choices: "a" }] })).toThrow(
    'setting "k": choices must be an array of strings',
  );
  expect(() => toAvailableJobType("t", { settings: [{ key: "k", propargs: [1] }] })).toThrow(
    "propargs must be an object",
  );
});
