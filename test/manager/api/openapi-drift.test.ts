// The routes and openapi/flamenco-manager.yaml are one contract: this fails when they drift
// (fix with `bun run openapi`) or when an operation of the contract has no handler.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { generateOpenApiYaml } from "../../../src/manager/api/generate-openapi";
import { OPENAPI_YAML_FILE } from "../../../src/manager/api/openapi";
import { startTestManager } from "../../support/manager";

/** The operations of an OpenAPI document, by path and method, with their tags. */
const ServedPaths = z.object({
  paths: z.record(z.string(), z.record(z.string(), z.object({ tags: z.array(z.string()) }))),
});

const committed = readFileSync(join(import.meta.dir, "..", "..", "..", OPENAPI_YAML_FILE), "utf8");

test("openapi/flamenco-manager.yaml is what the routes generate (run `bun run openapi`)", async () => {
  expect(await generateOpenApiYaml()).toBe(committed);
});

test("every operation of the contract has a handler, and the server serves the same document", async () => {
  const m = await startTestManager();
  try {
    expect(m.manager.unimplemented).toEqual([]);
    const served: unknown = await (await fetch(`${m.url}/api/v3/openapi3.json`)).json();
    expect(served).toEqual(parse(committed));
    const { paths } = ServedPaths.parse(served);
    // Flamenco's 57 operations, and Tablao's own beside them.
    const tags = Object.values(paths).flatMap((p) => Object.values(p).map((op) => op.tags.join()));
    expect(tags.filter((t) => !t.startsWith("tablao-")).length).toBe(57);
    expect(tags.filter((t) => t === "tablao-auth").length).toBe(6);
    const docs = await fetch(`${m.url}/api/v3/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("/api/v3/openapi3.json");
  } finally {
    await m.destroy();
  }
});
