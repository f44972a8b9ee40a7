// The shared HTTP plumbing: answers wait for the commit that holds their changes.
import { expect, test } from "bun:test";
import { answerAfterCommit, createApiApp } from "../../../src/manager/api/http";

function appWith(commitSettled: () => Promise<void>) {
  const app = createApiApp(() => {});
  answerAfterCommit(app, "/thing", commitSettled);
  app.get("/thing", (c) => c.json({ ok: true }, 200));
  return app;
}

test("an answer leaves only after the pending commit, unchanged when it succeeds", async () => {
  const commit = Promise.withResolvers<void>();
  const app = appWith(() => commit.promise);
  let answered = false;
  const request = Promise.resolve(app.request("/thing")).then((res) => {
    answered = true;
    return res;
  });
  // Plenty of turns for the handler; the answer still waits for the commit.
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  expect(answered).toBe(false);
  commit.resolve();
  const res = await request;
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ ok: true });
});

test("a failed commit turns the answer into a 503 with the Error body", async () => {
  const app = appWith(() => Promise.reject(new Error("disk I/O error")));
  const res = await app.request("/thing");
  expect(res.status).toBe(503);
  expect(await res.json()).toEqual({
    code: 503,
    message: "the database could not save the change: disk I/O error",
  });
});
