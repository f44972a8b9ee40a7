import { expect, test } from "bun:test";
import { computeEtag, goJson } from "../../../../src/manager/jobs/job-types/etag";

test("echo-sleep-test vector from Flamenco's unit test", () => {
  const jobType = {
    label: "Echo Sleep Test",
    name: "echo-sleep-test",
    settings: [
      { key: "message", required: true, type: "string" },
      { default: 1, key: "sleep_duration_seconds", type: "int32" },
      { default: 1, key: "sleep_repeats", type: "int32" },
    ],
  };
  expect(goJson({ ...jobType, etag: "" })).toBe(
    '{"etag":"","label":"Echo Sleep Test","name":"echo-sleep-test","settings":[{"key":"message","required":true,"type":"string"},{"default":1,"key":"sleep_duration_seconds","type":"int32"},{"default":1,"key":"sleep_repeats","type":"int32"}]}',
  );
  expect(computeEtag(jobType)).toBe("eba586e16d6b55baaa43e32f9e78ae514b457fee");
});

test("keys are sorted at every level and absent values omitted", () => {
  expect(goJson({ b: 1, a: { z: null, y: [true, 1.5] }, c: undefined })).toBe(
    '{"a":{"y":[true,1.5],"z":null},"b":1}',
  );
});

test("strings use Go's HTML-safe escapes", () => {
  expect(goJson('<a & b>\u2028\u2029\n\t"\\\u0001é')).toBe(
    '"\\u003ca \\u0026 b\\u003e\\u2028\\u2029\\n\\t\\"\\\\\\u0001é"',
  );
  expect(goJson("x\ud800y")).toBe('"x\\ufffdy"');
});

test("numbers as Go writes them; non-finite numbers cannot be serialised", () => {
  expect(goJson([0, -3, 1e21, 1.5e-7, 0.1])).toBe("[0,-3,1e+21,1.5e-7,0.1]");
  expect(() => goJson(Number.NaN)).toThrow("unsupported value");
});

test("the etag changes with the job type's content", () => {
  const base = { name: "x", label: "X", settings: null };
  expect(computeEtag(base)).not.toBe(computeEtag({ ...base, label: "Y" }));
  expect(computeEtag(base)).toMatch(/^[0-9a-f]{40}$/);
});
