// The shared-storage step: what shared storage is for, and a path the Manager checks as it is
// typed (it must exist and be writable by the Manager).
/** @jsxImportSource preact */
import type { LiveCheck } from "./live-check";
import type { PathCheckResult } from "./setup-api";
import { Verdict } from "./Verdict";

export function StorageStep({
  path,
  onPath,
  check,
}: {
  path: string;
  onPath: (path: string) => void;
  check: LiveCheck<PathCheckResult>;
}) {
  return (
    <>
      <p>
        Shared storage is a folder that the Manager and every worker can reach: the files to render are placed
        there when a job is submitted, and the workers write the rendered frames and videos back into it. It
        can be a folder on this machine (a farm of one), a NAS or another file server mounted on every
        machine.
      </p>
      <p class="hint">
        Folders kept in step by sync services (Dropbox, Syncthing, ownCloud…) are a poor fit: the Manager
        cannot tell when a file has arrived on a worker.
      </p>
      <label class="setup-field">
        Shared storage path, as the Manager sees it
        <input
          type="text"
          name="shared-storage"
          autocomplete="off"
          spellcheck={false}
          placeholder="/media/shared/flamenco"
          aria-describedby="storage-verdict"
          aria-invalid={check.kind === "done" && !check.result.is_usable}
          value={path}
          onInput={(e) => onPath(e.currentTarget.value)}
        />
      </label>
      <Verdict id="storage-verdict" check={check} />
    </>
  );
}
