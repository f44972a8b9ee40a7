// The settings catalog against the configuration's shape: every key of `ConfigFile` (read from
// schema.ts by the TypeScript compiler) is in the catalog and the catalog has no other key; every
// catalog key is accepted by validation, with the documented default.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import ts from "typescript";
import { validateConfigFile } from "../../../src/manager/config/schema";
import {
  SETTINGS,
  changedSettings,
  restartPending,
  settingValue,
} from "../../../src/manager/config/settings-catalog";
import { REPO_ROOT } from "../../support/processes";

const SCHEMA_FILE = join(REPO_ROOT, "src/manager/config/schema.ts");

/**
 * Dotted paths of `ConfigFile`'s leaves: properties are followed into nested objects; records
 * (index signatures), lists and scalars are leaves, as the catalog edits them as a whole.
 */
function configFileKeyPaths(): string[] {
  // Imports are not followed: ConfigFile is built from its own file's types and the standard library.
  const program = ts.createProgram([SCHEMA_FILE], { strict: true, noEmit: true, noResolve: true, types: [] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(SCHEMA_FILE);
  if (!source) throw new Error(`cannot read ${SCHEMA_FILE}`);
  const declaration = source.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === "ConfigFile",
  );
  if (!declaration) throw new Error("schema.ts declares no ConfigFile interface");

  const paths: string[] = [];
  const walk = (type: ts.Type, prefix: string) => {
    for (const property of checker.getPropertiesOfType(type)) {
      const path = prefix ? `${prefix}.${property.name}` : property.name;
      const propertyType = checker.getNonNullableType(checker.getTypeOfSymbol(property));
      const isStruct =
        (propertyType.flags & ts.TypeFlags.Object) !== 0 &&
        !checker.isArrayType(propertyType) &&
        checker.getIndexInfosOfType(propertyType).length === 0;
      if (isStruct) walk(propertyType, path);
      else paths.push(path);
    }
  };
  walk(checker.getTypeAtLocation(declaration), "");
  return paths;
}

const validated = (settings: Record<string, unknown>) =>
  validateConfigFile({ _meta: { version: 3 }, ...settings }, { label: "test", platform: "linux" });

/** A document holding every catalog key at `value(key)`, nested as in the file. */
function documentWith(value: (s: (typeof SETTINGS)[number]) => unknown): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const parts = s.path.split(".");
    let node = doc;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts.at(-1)!] = value(s);
  }
  return doc;
}

describe("settings catalog", () => {
  test("lists exactly the keys of ConfigFile", () => {
    expect(SETTINGS.map((s) => s.path).sort()).toEqual(configFileKeyPaths().sort());
  }, 30_000);

  test("paths are unique and every key has a description", () => {
    expect(new Set(SETTINGS.map((s) => s.path)).size).toBe(SETTINGS.length);
    for (const s of SETTINGS) expect(s.description.length).toBeGreaterThan(10);
  });

  test("every key with a default is accepted at that default, without a warning, and it is the one validation fills in", () => {
    const { file, warnings } = validated(documentWith((s) => s.default));
    expect(warnings).toEqual([]);
    const { file: empty } = validated({});
    for (const s of SETTINGS.filter((s) => s.default !== undefined)) {
      expect({ path: s.path, value: settingValue(file, s.path) }).toEqual({ path: s.path, value: s.default });
      if (!s.optional)
        expect({ path: s.path, value: settingValue(empty, s.path) }).toEqual({
          path: s.path,
          value: s.default,
        });
    }
  });

  test("changes are listed per key in catalog order, and only restart keys wait for a restart", () => {
    const before = validated({}).file;
    const after = validated({
      listen: ":9090",
      task_timeout: "2s",
      backup: { keep: 2 },
      variables: { storage: { values: [{ platform: "all", value: "/srv" }] } },
    }).file;
    const changes = changedSettings(before, after);
    expect(changes.map((c) => [c.path, c.applies])).toEqual([
      ["listen", "restart"],
      ["task_timeout", "live"],
      ["variables", "live"],
      ["backup.keep", "restart"],
    ]);
    expect(changes[1]).toMatchObject({ old: "10m0s", new: "2s" });
    expect(changes[3]).toMatchObject({ old: undefined, new: 2 });
    expect(restartPending(before, after)).toEqual(["listen", "backup.keep"]);
    expect(restartPending(after, after)).toEqual([]);
  });
});
