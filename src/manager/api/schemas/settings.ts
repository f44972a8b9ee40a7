// Wire schemas of Tablao's settings API (`/api/tablao/settings`, tag `tablao-settings`): the
// catalog of configuration keys the Settings page is built from, and what a save changed.
import { z } from "@hono/zod-openapi";
import { SETTING_APPLIES, SETTING_GROUPS, SETTING_KINDS } from "../../config/settings-catalog";
import { ConfigurationFile } from "./meta";

const SettingApplies = z.enum(SETTING_APPLIES).openapi("TablaoSettingApplies", {
  description:
    "`live`: a saved value is used at once; `restart`: it is used from the next start; `unused`: accepted, without effect.",
});

export const TablaoSettingInfo = z
  .object({
    path: z.string().openapi({ description: "Dotted key path in the file, e.g. `mqtt.client.broker`." }),
    group: z.enum(SETTING_GROUPS),
    description: z.string(),
    kind: z.enum(SETTING_KINDS).openapi({
      description: "How the value is edited; `json` for mappings and lists edited as a whole.",
    }),
    default: z.unknown().optional().openapi({ description: "The value a file without this key gets." }),
    applies: SettingApplies,
    optional: z.boolean().openapi({ description: "May be left out of the file." }),
    min: z.number().int().optional(),
  })
  .openapi("TablaoSettingInfo", { description: "One configuration key." });

export const TablaoSettings = z
  .object({
    settings: z.array(TablaoSettingInfo).openapi({ description: "Every key, in the file's order." }),
    file: ConfigurationFile,
    restart_pending: z.array(z.string()).openapi({
      description: "Keys saved with a value the running Manager does not use until it is restarted.",
    }),
  })
  .openapi("TablaoSettings", { description: "The configuration and what each key means." });

export const TablaoSettingChange = z
  .object({
    path: z.string(),
    old: z.unknown().optional().openapi({ description: "Absent when the key was not set." }),
    new: z.unknown().optional().openapi({ description: "Absent when the key is removed." }),
    applies: SettingApplies,
  })
  .openapi("TablaoSettingChange", { description: "One key whose value changes; secrets are shown hidden." });

export const TablaoSettingsSaved = z
  .object({
    saved: z.boolean().openapi({ description: "False for a dry run: nothing was written or applied." }),
    changes: z.array(TablaoSettingChange),
    restart_pending: z.array(z.string()).openapi({
      description: "After this save: keys whose saved value waits for a restart.",
    }),
    warnings: z.array(z.string()),
  })
  .openapi("TablaoSettingsSaved", { description: "What a save changes (or would change, for a dry run)." });
