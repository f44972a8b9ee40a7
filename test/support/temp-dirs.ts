// Fresh folders for a test file: one temp root per file, removed after its tests; each call
// of the returned function gives a new empty sub-folder.
import { afterAll } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function tempDirs(prefix: string): () => string {
  const root = mkdtempSync(join(tmpdir(), `${prefix}-`));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let counter = 0;
  return () => {
    const dir = join(root, `case-${++counter}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
}
