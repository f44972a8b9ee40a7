import { afterAll, expect, test } from "bun:test";
import { SettingsError, createJobTypeRegistry } from "../../../../../src/manager/jobs/job-types";
import { submission, taskGraph } from "../support";

const registry = createJobTypeRegistry({ scriptsDir: null, log: () => {} });
afterAll(() => registry.close());

function echo(message: string) {
  return {
    name: "echo",
    type: "misc",
    priority: 50,
    commands: [{ name: "echo", parameters: { message }, total_step_count: 0 }],
    dependsOn: [],
  };
}

function sleep(seconds: number) {
  return {
    name: "sleep",
    type: "misc",
    priority: 50,
    commands: [{ name: "sleep", parameters: { duration_in_seconds: seconds }, total_step_count: 0 }],
    dependsOn: ["echo"],
  };
}

test("the JOB_TYPE and its etag match Flamenco's", async () => {
  expect(await registry.get("echo-sleep-test")).toEqual({
    name: "echo-sleep-test",
    label: "Echo Sleep Test",
    settings: [
      { key: "message", type: "string", required: true },
      { key: "sleep_duration_seconds", type: "int32", default: 1 },
      { key: "sleep_repeats", type: "int32", default: 1 },
    ],
    etag: "eba586e16d6b55baaa43e32f9e78ae514b457fee",
  });
});

test("an echo task, then sleep_repeats sleep tasks that each depend only on the echo", async () => {
  const job = await registry.compile(
    submission("echo-sleep-test", { message: "hello", sleep_duration_seconds: 3, sleep_repeats: 3 }),
  );
  expect(taskGraph(job)).toEqual([echo("hello"), sleep(3), sleep(3), sleep(3)]);
  expect(new Set(job.tasks.map((t) => t.uuid)).size).toBe(4);
});

test("defaults apply for missing settings (Flamenco would make no sleep task at all)", async () => {
  const job = await registry.compile(submission("echo-sleep-test", { message: "hi" }));
  expect(taskGraph(job)).toEqual([echo("hi"), sleep(1)]);
  expect(job.settings).toEqual({ message: "hi", sleep_duration_seconds: 1, sleep_repeats: 1 });
});

test("zero repeats: only the echo", async () => {
  const job = await registry.compile(submission("echo-sleep-test", { message: "hi", sleep_repeats: 0 }));
  expect(taskGraph(job)).toEqual([echo("hi")]);
});

test("the message is required", async () => {
  const err = await registry
    .compile(submission("echo-sleep-test", { sleep_repeats: 2 }))
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SettingsError);
  expect(err).toMatchObject({
    problems: [{ setting: "message", problem: "required" }],
    message: "message: required",
  });
});
