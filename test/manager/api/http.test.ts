// The shared HTTP plumbing: errors become Flamenco's Error JSON with the right status.
import { expect, test } from "bun:test";
import { createApiApp } from "../../../src/manager/api/http";
import { CommitFailedError } from "../../../src/manager/db/transaction";
import { ApiError } from "../../../src/manager/errors";

function appThrowing(err: Error) {
  const logged: string[] = [];
  const app = createApiApp((msg) => logged.push(msg));
  app.get("/thing", () => {
    throw err;
  });
  return { app, logged };
}

test("a failed shared commit answers 503 with the Error body, not a 500", async () => {
  const { app, logged } = appThrowing(
    new CommitFailedError("the database could not save the change: disk I/O error"),
  );
  const res = await app.request("/thing");
  expect(res.status).toBe(503);
  expect(await res.json()).toEqual({
    code: 503,
    message: "the database could not save the change: disk I/O error",
  });
  expect(logged).toEqual([]);
});

test("an ApiError keeps its status; anything else is a logged 500", async () => {
  const apiError = appThrowing(new ApiError(409, "taken"));
  expect((await apiError.app.request("/thing")).status).toBe(409);
  const bug = appThrowing(new Error("boom"));
  const res = await bug.app.request("/thing");
  expect(res.status).toBe(500);
  expect(bug.logged).toHaveLength(1);
});
