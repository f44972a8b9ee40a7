// `bun run openapi`: writes openapi/flamenco-manager.yaml from the routes of a throw-away
// in-memory Manager. test/manager/api/openapi-drift.test.ts fails when the file is out of date.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { loadConfig } from "../config";
import { silentLogger } from "../../shared/log";
import { createManager } from "../manager";
import { OPENAPI_YAML_FILE, openApiYaml } from "./openapi";

/** The YAML the routes describe, from a Manager that touches no file. */
export async function generateOpenApiYaml(): Promise<string> {
  const config = loadConfig({ cwd: process.cwd(), env: { TABLAO_DATABASE: ":memory:" } });
  const manager = createManager({ config, logger: silentLogger });
  try {
    return openApiYaml(manager.app);
  } finally {
    await manager.stop();
  }
}

if (import.meta.main) {
  const target = join(import.meta.dir, "..", "..", "..", OPENAPI_YAML_FILE);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, await generateOpenApiYaml());
  console.log(`wrote ${target}`);
}
