// Preview uploads: images a render saved become the job's "last rendered" image.
// Throttled: one waiting slot where the newest image replaces an older one, one upload at a time,
// and a pause when the Manager says it is busy (429). Images are sent as JPEG, scaled to fit the
// Manager's largest thumbnail.
import { extname } from "node:path";
import sharp from "sharp";
import type { Logger } from "../shared/log";
import type { ManagerApi } from "./client";
import { errorText } from "./client";
import { PREVIEW_JPEG_QUALITY, PREVIEW_MAX_HEIGHT_PX, PREVIEW_MAX_WIDTH_PX } from "./constants";
import { sleepUnlessAborted } from "./wait";

/** Formats worth previewing; an EXR must not push a usable PNG out of the slot. */
const PREVIEWABLE_EXTENSIONS = [".png", ".jpg", ".jpeg", ".tif", ".tiff"];

export interface PreviewUploaderDeps {
  api: ManagerApi;
  log: Logger;
  busyBackoffMs: number;
}

interface Preview {
  taskId: string;
  path: string;
}

export async function previewJpeg(path: string): Promise<Uint8Array> {
  return sharp(path)
    .resize({
      width: PREVIEW_MAX_WIDTH_PX,
      height: PREVIEW_MAX_HEIGHT_PX,
      fit: "inside",
      withoutEnlargement: true,
    })
    .jpeg({ quality: PREVIEW_JPEG_QUALITY })
    .toBuffer();
}

export class PreviewUploader {
  private slot: Preview | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly deps: PreviewUploaderDeps) {}

  /** Offers an image; it replaces one still waiting. Formats that cannot be previewed are ignored. */
  offer(taskId: string, path: string): void {
    if (!PREVIEWABLE_EXTENSIONS.includes(extname(path).toLowerCase())) {
      this.deps.log("debug", `not previewing ${path}: not a PNG, JPEG or TIFF file`);
      return;
    }
    this.slot = { taskId, path };
    this.wake?.();
  }

  /** Uploads offered images one at a time until `stop` aborts. */
  async run(stop: AbortSignal): Promise<void> {
    const onStop = () => this.wake?.();
    stop.addEventListener("abort", onStop, { once: true });
    try {
      while (!stop.aborted) {
        if (!this.slot) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = null;
          continue;
        }
        const preview = this.slot;
        this.slot = null;
        if ((await this.upload(preview)) === "busy") await sleepUnlessAborted(this.deps.busyBackoffMs, stop);
      }
    } finally {
      stop.removeEventListener("abort", onStop);
    }
  }

  private async upload(preview: Preview): Promise<"sent" | "busy" | "dropped"> {
    const { api, log } = this.deps;
    let image: Uint8Array;
    try {
      image = await previewJpeg(preview.path);
    } catch (err) {
      log("warn", `cannot make a preview of ${preview.path}: ${(err as Error).message}`);
      return "dropped";
    }
    try {
      const { error, response } = await api.POST("/api/v3/worker/task/{task_id}/output-produced", {
        params: { path: { task_id: preview.taskId } },
        // openapi-fetch would JSON-encode the bytes; they go as they are.
        body: image as unknown as string,
        bodySerializer: (body: unknown) => body as BodyInit,
        headers: { "Content-Type": "image/jpeg" },
      });
      if (response.status === 202) {
        log("debug", `preview ${preview.path} sent`);
        return "sent";
      }
      log("info", `Manager did not take preview ${preview.path}: ${errorText(error, response)}`);
      return response.status === 429 ? "busy" : "dropped";
    } catch (err) {
      log("info", `preview ${preview.path} not sent: ${(err as Error).message}`);
      return "dropped";
    }
  }
}
