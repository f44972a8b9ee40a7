import { expect, test } from "bun:test";
import { join } from "node:path";
import { createStorageLayout } from "../../../src/manager/storage/layout";

const layout = createStorageLayout("/srv/tablao/storage");
const JOB = "abcd1234-0000-4000-8000-000000000000";

test("job folders are grouped by the first four characters of the job UUID", () => {
  expect(layout.jobDir(JOB)).toBe(join("/srv/tablao/storage", "job-abcd", JOB));
  expect(layout.jobDir("")).toBe(join("/srv/tablao/storage", "jobless"));
  expect(layout.taskLogPath(JOB, "t1")).toBe(join("/srv/tablao/storage", "job-abcd", JOB, "task-t1.txt"));
});

test("paths map to /job-files/ URLs and back", () => {
  const log = layout.taskLogPath(JOB, "t1");
  expect(layout.urlOf(log)).toBe(`/job-files/job-abcd/${JOB}/task-t1.txt`);
  expect(layout.resolveUrlPath(`job-abcd/${JOB}/task-t1.txt`)).toBe(log);
});

test("URL paths that would leave the storage root resolve to nothing", () => {
  expect(layout.resolveUrlPath("../secret")).toBeNull();
  expect(layout.resolveUrlPath("job-abcd/../../secret")).toBeNull();
  expect(layout.resolveUrlPath("..")).toBeNull();
  expect(layout.resolveUrlPath("")).toBeNull();
  expect(layout.resolveUrlPath("a\0b")).toBeNull();
  // An absolute path is taken relative to the root, never as a path on the host.
  expect(layout.resolveUrlPath("/etc/passwd")).toBe("/srv/tablao/storage/etc/passwd");
  expect(layout.resolveUrlPath("..hidden")).toBe("/srv/tablao/storage/..hidden");
});
