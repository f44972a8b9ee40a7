// Shaman (content-addressed job file uploads) is not part of Tablao yet. Flamenco answers 503 on
// every Shaman operation while Shaman is not running, and the Blender add-on then falls back to
// copying job files to shared storage itself; Tablao does the same, always.
import { errorResponse } from "../http";
import type { Handlers } from "./registry";

const SHAMAN_DISABLED = "Shaman is not available on this Manager; use shared storage for job files";

export function shamanHandlers(): Handlers {
  const disabled = (c: Parameters<typeof errorResponse>[0]) => errorResponse(c, 503, SHAMAN_DISABLED);
  return {
    shamanCheckoutRequirements: disabled as never,
    shamanCheckout: disabled as never,
    shamanFileStoreCheck: disabled as never,
    shamanFileStore: disabled as never,
  };
}
