// The Manager's settings endpoints under /api/tablao: the configuration with the catalog of its
// keys, and saving it (or a dry run that only lists the changes). Wire types are inferred from
// the Manager's schemas (type-only imports).
import type { z } from "zod";
import type * as schemas from "../../manager/api/schemas/settings";
import { request } from "../api";

export type SettingInfo = z.infer<typeof schemas.TablaoSettingInfo>;
export type Settings = z.infer<typeof schemas.TablaoSettings>;
export type SettingChange = z.infer<typeof schemas.TablaoSettingChange>;
export type SettingsSaved = z.infer<typeof schemas.TablaoSettingsSaved>;
export type ConfigJson = Settings["file"];

const SETTINGS_URL = "/api/tablao/settings";

export const settingsApi = {
  load: async () => (await (await request("GET", SETTINGS_URL)).json()) as Settings,
  /** With `dryRun` nothing is written: the answer lists what a save would change. */
  save: async (file: ConfigJson, dryRun: boolean) =>
    (await (
      await request("PUT", `${SETTINGS_URL}${dryRun ? "?dry_run=true" : ""}`, file)
    ).json()) as SettingsSaved,
};
