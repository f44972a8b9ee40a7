import { expect, test } from "bun:test";
import { buildManagerConfig } from "../../../src/manager/config/load";
import { validateConfigFile } from "../../../src/manager/config/schema";
import { jobStoragePath, sharedStorageLocation } from "../../../src/manager/config/storage";

function configWith(settings: Record<string, unknown>) {
  const { file, warnings } = validateConfigFile(
    { _meta: { version: 3 }, ...settings },
    { label: "t.yaml", platform: "linux" },
  );
  return buildManagerConfig(file, {
    configPath: "/etc/t.yaml",
    baseDir: "/etc",
    cwd: "/",
    env: {},
    platform: "linux",
    warnings,
  });
}

test("job storage is Shaman’s checkout folder when Shaman is enabled", () => {
  expect(jobStoragePath(configWith({ shared_storage_path: "/srv/farm" }))).toBe("/srv/farm/jobs");
  expect(jobStoragePath(configWith({ shared_storage_path: "/srv/farm", shaman: { enabled: false } }))).toBe(
    "/srv/farm",
  );
});

test("no job storage before the shared storage is configured", () => {
  const cfg = configWith({});
  expect(cfg.isFirstRun).toBe(true);
  expect(jobStoragePath(cfg)).toBe("");
});

test("shared storage location is translated for the asking platform", () => {
  const cfg = configWith({
    shared_storage_path: "/media/shared/flamenco",
    variables: {
      my_storage: {
        is_twoway: true,
        values: [
          { platform: "linux", value: "/media/shared/flamenco" },
          { platform: "windows", audience: "users", value: "F:\\flamenco" },
        ],
      },
    },
  });
  expect(sharedStorageLocation(cfg, "users", "windows")).toBe("F:\\flamenco\\jobs");
  expect(sharedStorageLocation(cfg, "workers", "windows")).toBe("/media/shared/flamenco/jobs");
  expect(sharedStorageLocation(cfg, "users", "linux")).toBe("/media/shared/flamenco/jobs");
});
