// The Manager's configuration endpoints the setup assistant uses: whether a first run is due,
// the live checks of a shared-storage path and of a Blender command, and saving the choices.
// Wire types are inferred from the Manager's schemas (type-only imports).
import type { z } from "zod";
import type * as meta from "../../manager/api/schemas/meta";
import { request } from "../api";

export type ManagerConfiguration = z.infer<typeof meta.ManagerConfiguration>;
export type PathCheckResult = z.infer<typeof meta.PathCheckResult>;
export type BlenderCheck = z.infer<typeof meta.BlenderPathCheckResult>;
export type SetupChoices = z.infer<typeof meta.SetupAssistantConfig>;

const BASE = "/api/v3/configuration";

async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
  return (await (await request(method, BASE + path, body)).json()) as T;
}

export const setupApi = {
  configuration: () => json<ManagerConfiguration>("GET", ""),
  checkSharedStorage: (path: string) => json<PathCheckResult>("POST", "/check/shared-storage", { path }),
  /** Every Blender the Manager finds by itself (on its PATH, or by file association). */
  findBlender: () => json<BlenderCheck[]>("GET", "/check/blender"),
  checkBlender: (path: string) => json<BlenderCheck>("POST", "/check/blender", { path }),
  /** Writes flamenco-manager.yaml; the Manager applies it at once. */
  save: async (choices: SetupChoices) => void (await request("POST", `${BASE}/setup-assistant`, choices)),
};
