// Handlers of the `meta` operations this Manager implements: version, configuration summary,
// variables and shared storage as seen by an audience and platform.
import type { ManagerConfig } from "../../config";
import { jobStoragePath, resolveVariables, sharedStorageLocation } from "../../config";
import { PRODUCT_NAME, PRODUCT_VERSION } from "../../../shared/version";
import type { Handlers } from "./registry";

export interface MetaDeps {
  config: () => ManagerConfig;
  /** Re-reads the configuration file (Flamenco does so on every getConfiguration). */
  reloadConfig: () => ManagerConfig;
  /** Whether the Shaman service runs (configured on, and not a first run); fixed at start-up. */
  shamanEnabled?: () => boolean;
}

export function metaHandlers(deps: MetaDeps): Handlers {
  return {
    // The add-on compares `shortversion` with its own version, so it comes from the configuration
    // in effect (`flamenco_version`); a saved change applies to the next call.
    getVersion: (c) => {
      const cfg = deps.config();
      return c.json(
        {
          version: `${cfg.flamencoVersion} (${PRODUCT_NAME} ${PRODUCT_VERSION})`,
          shortversion: cfg.flamencoVersion,
          name: cfg.managerName,
          git: `${PRODUCT_NAME}-${PRODUCT_VERSION}`,
        },
        200,
      );
    },

    getConfiguration: (c) => {
      const cfg = deps.reloadConfig();
      return c.json(
        {
          storageLocation: jobStoragePath(cfg),
          shamanEnabled: deps.shamanEnabled?.() ?? false,
          isFirstRun: cfg.isFirstRun,
        },
        200,
      );
    },

    getVariables: (c) => {
      const { audience, platform } = c.req.valid("param");
      return c.json(resolveVariables(deps.config(), audience, platform), 200);
    },

    getSharedStorage: (c) => {
      const { audience, platform } = c.req.valid("param");
      return c.json(
        {
          location: sharedStorageLocation(deps.config(), audience, platform),
          audience,
          platform,
          shamanEnabled: deps.shamanEnabled?.() ?? false,
        },
        200,
      );
    },
  };
}
