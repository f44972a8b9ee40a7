import { expect, test } from "bun:test";
import { parseRoute, routePath, type Route } from "../../src/web/router";

const J = "b6f1f9d2-3c57-4c8e-9d7a-0e1f2a3b4c5d";
const T = "c6f1f9d2-3c57-4c8e-9d7a-0e1f2a3b4c5d";

test("routes survive a round trip through their path", () => {
  const routes: Route[] = [
    { view: "jobs" },
    { view: "jobs", jobId: J },
    { view: "jobs", jobId: J, taskId: T },
    { view: "workers" },
    { view: "workers", workerId: J },
    { view: "tags" },
    { view: "last-rendered" },
  ];
  for (const r of routes) expect(parseRoute(routePath(r))).toEqual({ ...r });
  expect(routePath({ view: "jobs", jobId: J, taskId: T })).toBe(`/app/jobs/${J}/${T}`);
});

test("unknown or empty paths show the jobs", () => {
  expect(parseRoute("/app/")).toEqual({ view: "jobs", jobId: undefined, taskId: undefined } as Route);
  expect(parseRoute("/app/nonsense/x")).toEqual({ view: "jobs" });
});
