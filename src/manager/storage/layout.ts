// The Manager-local storage layout (task logs, last-rendered images): where each job's files
// live on disk, and how those paths map to and from `/job-files/` URLs.
import { isAbsolute, relative, resolve, sep } from "node:path";

export const JOB_FILES_URL_PREFIX = "/job-files";

/** Folder for files that belong to no job (a task log with an empty job UUID). */
const JOBLESS_DIR = "jobless";

export interface StorageLayout {
  readonly root: string;
  /** `<root>/job-<first 4 chars>/<jobUUID>`; `<root>/jobless` for an empty UUID. */
  jobDir(jobUUID: string): string;
  taskLogPath(jobUUID: string, taskUUID: string): string;
  /** The `/job-files/...` URL of a file or folder inside the root (forward slashes). */
  urlOf(absPath: string): string;
  /**
   * The file a `/job-files/...` sub-path refers to, or null when it would leave the root
   * (`..`, absolute paths, NUL bytes) so the static handler can answer 404.
   */
  resolveUrlPath(subPath: string): string | null;
}

export function createStorageLayout(root: string): StorageLayout {
  const absRoot = resolve(root);

  // Concatenated rather than join()ed: every task-log append computes a path, and join's
  // normalising showed in profiles. Job and task UUIDs come from the database, without separators.
  const jobDir = (jobUUID: string) =>
    jobUUID === ""
      ? `${absRoot}${sep}${JOBLESS_DIR}`
      : `${absRoot}${sep}job-${jobUUID.slice(0, 4)}${sep}${jobUUID}`;

  return {
    root: absRoot,
    jobDir,
    taskLogPath: (jobUUID, taskUUID) => `${jobDir(jobUUID)}${sep}task-${taskUUID}.txt`,
    urlOf(absPath) {
      const rel = relative(absRoot, absPath).split(sep).join("/");
      return `${JOB_FILES_URL_PREFIX}/${rel}`;
    },
    resolveUrlPath(subPath) {
      if (subPath.includes("\0")) return null;
      const target = resolve(absRoot, `.${sep}${subPath}`);
      const rel = relative(absRoot, target);
      if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return null;
      return target;
    },
  };
}
