// The Shaman page: whether Shaman runs, how checkouts show files, the size of the file store and
// the outcome of the last garbage collection. Read-only; refreshed while the page is open.
/** @jsxImportSource preact */
import { useEffect, useState } from "preact/hooks";
import { useApp } from "../ui/context";
import { Field, TimeAgo } from "../ui/widgets";
import { shamanApi, type ShamanStatus } from "./shaman-api";

/** Counting the file store walks it on disk, so the page asks no more often than this. */
const SHAMAN_STATUS_REFRESH_MS = 30_000;

const BYTE_UNITS = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];

function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

function formatDuration(seconds: number): string {
  if (seconds <= 0) return "never";
  if (seconds % 86_400 === 0) return `${seconds / 86_400} days`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hours`;
  return `${seconds} seconds`;
}

const LINK_MODE_TEXT = {
  symlink: "relative symbolic links",
  hardlink: "hard links (symbolic links do not work on this storage)",
  copy: "copies (neither symbolic nor hard links work on this storage)",
} as const;

export function ShamanView() {
  const { state } = useApp();
  const [status, setStatus] = useState<ShamanStatus | null>(null);
  useEffect(() => {
    const load = () =>
      void state.attempt("load Shaman's status", async () => setStatus(await shamanApi.status()));
    load();
    const timer = setInterval(load, SHAMAN_STATUS_REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  return (
    <section class="pane shaman-view">
      <h2>Shaman</h2>
      {!status ? (
        <p class="hint">Loading…</p>
      ) : !status.enabled ? (
        <p class="hint" data-shaman="off">
          Shaman is off: the Blender add-on copies job files to the shared storage itself. Set{" "}
          <code>shaman.enabled: true</code> in the configuration (and finish the setup) to use it.
        </p>
      ) : (
        <dl class="fields" data-shaman="on">
          <Field label="State">running</Field>
          {status.link_mode && <Field label="Checkouts use">{LINK_MODE_TEXT[status.link_mode]}</Field>}
          <Field label="Stored files">
            <span data-field="blobs">{status.blobs ?? 0}</span> ({formatBytes(status.blob_bytes ?? 0)})
          </Field>
          <Field label="Garbage collection">
            every {formatDuration(status.gc_period_seconds ?? 0)}, of files unused for{" "}
            {formatDuration(status.gc_max_age_seconds ?? 0)}
          </Field>
          <Field label="Last collection">
            {status.last_gc ? (
              <span data-field="last-gc">
                <TimeAgo iso={status.last_gc.ran_at} />: removed {status.last_gc.removed} of{" "}
                {status.last_gc.blobs} files ({formatBytes(status.last_gc.removed_bytes)}), kept{" "}
                {status.last_gc.kept} still used by checkouts
              </span>
            ) : (
              "none since the Manager started"
            )}
          </Field>
        </dl>
      )}
    </section>
  );
}
