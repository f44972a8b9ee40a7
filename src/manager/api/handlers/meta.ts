// Handlers of the `meta` operations this Manager implements: version, configuration summary,
// variables and shared storage as seen by an audience and platform.
import type { ManagerConfig } from "../../config";
import { jobStoragePath, resolveVariables, sharedStorageLocation } from "../../config";
import { FLAMENCO_COMPAT_VERSION, PRODUCT_NAME, PRODUCT_VERSION } from "../../../shared/version";
import type { Handlers } from "./registry";

export interface MetaDeps {
  config: () => ManagerConfig;
  /** Re-reads the configuration file (Flamenco does so on every getConfiguration). */
  reloadConfig: () => ManagerConfig;
}

export function metaHandlers(deps: MetaDeps): Handlers {
  return {
    getVersion: (c) =>
      c.json(
        {
          version: `${FLAMENCO_COMPAT_VERSION} (${PRODUCT_NAME} ${PRODUCT_VERSION})`,
          shortversion: FLAMENCO_COMPAT_VERSION,
          name: deps.config().managerName,
          git: `${PRODUCT_NAME}-${PRODUCT_VERSION}`,
        },
        200,
      ),

    getConfiguration: (c) => {
      const cfg = deps.reloadConfig();
      return c.json(
        { storageLocation: jobStoragePath(cfg), shamanEnabled: false, isFirstRun: cfg.isFirstRun },
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
          shamanEnabled: false,
        },
        200,
      );
    },
  };
}
