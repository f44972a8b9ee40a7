// Where jobs' files live as seen by the Manager (`{jobs}`) and by other platforms
// (`GET /api/v3/configuration/shared-storage/{audience}/{platform}`).

import { join } from "node:path";
import type { ManagerConfig } from "./load";
import { makeExpander, type Audience } from "./variables";

const SHAMAN_CHECKOUT_DIR = "jobs";

/**
 * Effective job storage: Shaman's checkout folder `<shared>/jobs` when Shaman is enabled, else the
 * shared storage itself; "" while no shared storage is configured (first run).
 */
export function jobStoragePath(cfg: Pick<ManagerConfig, "sharedStoragePath" | "shaman">): string {
  if (cfg.sharedStoragePath === "") return "";
  return cfg.shaman.enabled ? join(cfg.sharedStoragePath, SHAMAN_CHECKOUT_DIR) : cfg.sharedStoragePath;
}

/** The job storage path translated for (audience, platform) through the two-way variables. */
export function sharedStorageLocation(cfg: ManagerConfig, audience: Audience, platform: string): string {
  return makeExpander(cfg, platform, audience)(jobStoragePath(cfg));
}
