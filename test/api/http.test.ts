// The shared HTTP plumbing: answers wait for the commit that holds their changes.
import { expect, test } from "bun:test";
import { answerAfterCommit, createApiApp } from "../../src/api/http";

function appWith(commitSettled: () => Promise<void>) {
  const app = createApiApp(() => {});
  answerAfterCommit(app, commitSettled);
  app.get("/thing", (c) => c.json({ ok: true }, 200));
  return app;
}

test("an answer leaves after the pending commit, unchanged when it succeeds", async () => {
  const order: string[] = [];
  const app = appWith(async () => {
    await Promise.resolve();
    order.push("committed");
  });
  const res = await app.request("/thing");
  order.push("answered");
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ ok: true });
  expect(order).toEqual(["committed", "answered"]);
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
