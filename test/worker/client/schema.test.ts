// The generated client types must match the OpenAPI document: regenerating them has to give the
// committed file byte for byte (else run `bun run client`).
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import openapiTS, { astToString, COMMENT_HEADER } from "openapi-typescript";

const ROOT = join(import.meta.dir, "../../..");

test("src/worker/client/schema.d.ts is generated from the current openapi/flamenco-manager.yaml", async () => {
  const spec = new URL(`file://${join(ROOT, "openapi/flamenco-manager.yaml")}`);
  const fresh = COMMENT_HEADER + astToString(await openapiTS(spec, { silent: true }));
  const committed = readFileSync(join(ROOT, "src/worker/client/schema.d.ts"), "utf8");
  if (fresh !== committed) {
    throw new Error("src/worker/client/schema.d.ts is stale: run `bun run client`");
  }
  expect(committed).toContain('"/api/v3/worker/task/{task_id}/may-i-run"');
});
