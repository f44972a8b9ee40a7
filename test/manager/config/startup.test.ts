// A bad configuration file stops `bun run server` (src/manager/main.ts, a real process) before
// it listens or touches the database.
import { expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runServerCommand } from "../../support/processes";
import { tempDirs } from "../../support/temp-dirs";

const freshDir = tempDirs("tablao-config-startup");

test("a misspelt key stops start-up with the file, the key and the key it was meant to be", async () => {
  const cwd = freshDir();
  writeFileSync(
    join(cwd, "flamenco-manager.yaml"),
    "_meta:\n  version: 3\nlisten: 127.0.0.1:0\nworker_timout: 1m\n",
  );
  const { code, stderr } = await runServerCommand([], cwd);
  expect(code).toBe(1);
  expect(stderr).toContain(
    'flamenco-manager.yaml: worker_timout: unknown key (did you mean "worker_timeout"?)',
  );
  expect(existsSync(join(cwd, "flamenco-manager.sqlite"))).toBe(false);
});
