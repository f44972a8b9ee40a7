// Shaman's state as the Manager reports it (`GET /api/tablao/shaman/status`); the wire type is
// inferred from the Manager's schema (type-only import).
import type { z } from "zod";
import type * as schemas from "../../manager/api/schemas/shaman";
import { request } from "../api";

export type ShamanStatus = z.infer<typeof schemas.TablaoShamanStatus>;

export const shamanApi = {
  status: async () => (await (await request("GET", "/api/tablao/shaman/status")).json()) as ShamanStatus,
};
