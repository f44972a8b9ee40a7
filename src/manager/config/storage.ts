// Where jobs' files live as seen by the Manager (`{jobs}`) and by other platforms
// (`GET /api/v3/configuration/shared-storage/{audience}/{platform}`).

import { join } from "node:path";
import { makeExpander, type Audience, type VariableContext } from "./variables";

const SHAMAN_CHECKOUT_DIR = "jobs";

/**
 * Effective job storage: Shaman's checkout folder `<shared>/jobs` when Shaman is enabled, else the
 * shared storage itself; "" while no shared storage is configured (first run).
 */
export interface JobStorageSettings {
  sharedStoragePath: string;
  shaman: { enabled: boolean };
}

export function jobStoragePath(cfg: JobStorageSettings): string {
  if (cfg.sharedStoragePath === "") return "";
  return cfg.shaman.enabled ? join(cfg.sharedStoragePath, SHAMAN_CHECKOUT_DIR) : cfg.sharedStoragePath;
}

/** The job storage path translated for (audience, platform) through the two-way variables. */
export function sharedStorageLocation(
  cfg: VariableContext & JobStorageSettings,
  audience: Audience,
  platform: string,
): string {
  return makeExpander(cfg, platform, audience)(jobStoragePath(cfg));
}
