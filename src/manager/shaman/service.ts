// The Shaman service: the file store, checkouts and periodic garbage collection over the shared
// storage, built from the configuration. Runs only when `shaman.enabled` is set and the Manager
// is set up (not a first run), as Flamenco does; otherwise `createShaman` returns null and the
// Shaman operations answer 503.
import type { Clock } from "../../shared/clock";
import type { ManagerConfig } from "../config";
import { createCheckouts, type Checkouts, type FileSpec } from "./checkout";
import { createFileStore, type FileStore } from "./file-store";
import { collectGarbage, storeUsage, type GcResult } from "./gc";
import { GC_FIRST_SWEEP_DELAY_MS } from "./limits";
import { detectLinkMode, type LinkMode } from "./link-mode";
import { shamanLayout } from "./paths";
import type { ReceiveFile } from "./receive-file";

export interface ShamanDeps {
  config: Pick<ManagerConfig, "isFirstRun" | "sharedStoragePath" | "shaman">;
  clock: Clock;
  receive: ReceiveFile;
  log: (level: "info" | "warn", msg: string) => void;
  /** Forces how checkouts place files; by default the best the storage supports (link-mode.ts). */
  linkMode?: LinkMode;
}

export interface ShamanStatus {
  linkMode: LinkMode;
  blobs: number;
  blobBytes: number;
  gcPeriodMs: number;
  gcMaxAgeMs: number;
  lastGc: GcResult | null;
}

export type Shaman = NonNullable<ReturnType<typeof createShaman>>;

function shamanRuns(config: ShamanDeps["config"]): boolean {
  return config.shaman.enabled && !config.isFirstRun && config.sharedStoragePath !== "";
}

export function createShaman(deps: ShamanDeps) {
  if (!shamanRuns(deps.config)) return null;
  const { clock } = deps;
  const { gcPeriodMs, gcMaxAgeMs } = deps.config.shaman;
  const info = (msg: string) => deps.log("info", msg);
  const layout = shamanLayout(deps.config.sharedStoragePath);
  const fileStore = createFileStore({ layout, receive: deps.receive, clock, log: info });

  let prepared: Promise<Checkouts> | null = null;
  /**
   * Clears what a crash left of uploads and finds how checkouts place files; once (again after
   * a failure, e.g. the shared storage was not mounted yet).
   */
  const ready = () =>
    (prepared ??= (async () => {
      await fileStore.removeUploadLeftovers();
      const linkMode = deps.linkMode ?? (await detectLinkMode(layout.fileStore));
      if (linkMode !== "symlink")
        deps.log("warn", `shaman: symbolic links do not work here; checkouts use ${linkMode}s`);
      return createCheckouts({ layout, fileStore, linkMode, log: info });
    })().catch((err: unknown) => {
      prepared = null;
      throw err;
    }));

  let lastGc: GcResult | null = null;
  let sweeping: Promise<GcResult> | null = null;
  let timer: unknown = null;
  let interval: unknown = null;

  async function sweep(): Promise<GcResult> {
    sweeping ??= collectGarbage({ layout, now: clock.now(), maxAgeMs: gcMaxAgeMs, dryRun: false }).finally(
      () => (sweeping = null),
    );
    const result = await sweeping;
    lastGc = result;
    info(
      `shaman: garbage collection removed ${result.removed.length} of ${result.blobs} blob(s), ` +
        `${result.removedBytes} bytes; kept ${result.kept} old but referenced`,
    );
    return result;
  }
  const sweepLogged = () =>
    void sweep().catch((err: unknown) =>
      deps.log("warn", `shaman: garbage collection failed: ${String(err)}`),
    );

  return {
    fileStore,
    ready,
    sweep,

    /** Uploads wait for start-up's clean-up of `uploading/`, which would take their files away. */
    upload: async (...args: Parameters<FileStore["upload"]>) => {
      await ready();
      return fileStore.upload(...args);
    },
    requirements: async (files: FileSpec[]) => (await ready()).requirements(files),
    checkout: async (path: string, files: FileSpec[]) => (await ready()).create(path, files),
    removeCheckout: async (id: string) => (await ready()).remove(id),

    async status(): Promise<ShamanStatus> {
      const usage = await storeUsage(layout);
      return {
        linkMode: (await ready()).linkMode,
        blobs: usage.blobs,
        blobBytes: usage.bytes,
        gcPeriodMs,
        gcMaxAgeMs,
        lastGc,
      };
    },

    start(): void {
      void ready().catch((err: unknown) =>
        deps.log("warn", `shaman: cannot prepare the file store: ${String(err)}`),
      );
      if (gcPeriodMs <= 0) return;
      timer = clock.setTimeout(() => {
        timer = null;
        sweepLogged();
        interval = clock.setInterval(sweepLogged, gcPeriodMs);
      }, GC_FIRST_SWEEP_DELAY_MS);
    },

    async stop(): Promise<void> {
      if (timer !== null) clock.clearTimeout(timer);
      if (interval !== null) clock.clearInterval(interval);
      timer = interval = null;
      await sweeping?.catch(() => undefined);
    },
  };
}
