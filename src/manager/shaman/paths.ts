// Where Shaman keeps things under the shared storage, and the checks that keep every path a
// client sends inside it. Stored files and checkouts are where Flamenco keeps them, so an
// existing Shaman store can be reused:
//   file-store/stored/<sha[0:2]>/<sha[2:]>/<size>.blob     complete, verified files
//   file-store/uploading/<sha>-<size>-<random>.tmp         uploads in progress (one flat folder:
//                                                          no folders to make and remove per upload)
//   jobs/<checkout path>/...                               checkouts: links to stored files
import { randomInt } from "node:crypto";
import { join } from "node:path";
import { ApiError } from "../errors";
import { CHECKOUT_PATH_MAX_CHARS } from "./limits";

export interface ShamanLayout {
  fileStore: string;
  stored: string;
  uploading: string;
  /** The checkout root; jobs see it as `{jobs}`. */
  checkouts: string;
}

export function shamanLayout(sharedStoragePath: string): ShamanLayout {
  const fileStore = join(sharedStoragePath, "file-store");
  return {
    fileStore,
    stored: join(fileStore, "stored"),
    uploading: join(fileStore, "uploading"),
    checkouts: join(sharedStoragePath, "jobs"),
  };
}

/** A file as Shaman knows it: its lower-case hex SHA-256 and its size. */
export interface BlobId {
  sha: string;
  size: number;
}

export function blobKey(id: BlobId): string {
  return `${id.sha}/${id.size}`;
}

export function blobDir(layout: ShamanLayout, id: BlobId): string {
  return join(layout.stored, id.sha.slice(0, 2), id.sha.slice(2));
}

export function blobPath(layout: ShamanLayout, id: BlobId): string {
  return join(blobDir(layout, id), `${id.size}.blob`);
}

/** A fresh temporary file name for one upload of the blob (random, so parallel uploads never share one). */
export function uploadTempPath(layout: ShamanLayout, id: BlobId): string {
  const random = String(randomInt(0, 1_000_000_000)).padStart(9, "0");
  return join(layout.uploading, `${id.sha}-${id.size}-${random}.tmp`);
}

/**
 * Characters refused anywhere in a checkout path: Flamenco's list (they break Windows paths or
 * variable expansion) plus the backslash, which Windows would read as a separator.
 */
const CHECKOUT_PATH_FORBIDDEN = /[?*:;{}\\]/;
/** Refused in any path a client sends: NUL and the other control characters. */
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

function badPath(what: string, path: string, why: string): ApiError {
  return new ApiError(400, `invalid ${what} ${JSON.stringify(path.slice(0, 200))}: ${why}`);
}

/**
 * The components of a relative, forward-slash path that cannot leave the folder it is joined to:
 * not absolute, no `.` or `..` component, no empty component (so no `//`), no backslash, no
 * control character. `what` names the path in the 400 answer.
 */
export function relativePathParts(what: string, path: string): string[] {
  if (path === "") throw badPath(what, path, "empty");
  if (path.length > CHECKOUT_PATH_MAX_CHARS)
    throw badPath(what, path, `longer than the limit of ${CHECKOUT_PATH_MAX_CHARS} characters`);
  if (CONTROL_CHARS.test(path)) throw badPath(what, path, "contains a control character");
  if (path.includes("\\")) throw badPath(what, path, "contains a backslash; use forward slashes");
  // A drive letter would make it absolute on a Windows Manager.
  if (path.startsWith("/") || /^[a-zA-Z]:/.test(path)) throw badPath(what, path, "must be relative");
  const parts = path.split("/");
  for (const part of parts) {
    if (part === "") throw badPath(what, path, "has an empty component");
    if (part === "." || part === "..") throw badPath(what, path, `has a "${part}" component`);
  }
  return parts;
}

/** A checkout path: a relative path as above, without the characters Flamenco refuses either. */
export function checkoutPathParts(path: string): string[] {
  if (CHECKOUT_PATH_FORBIDDEN.test(path))
    throw badPath("checkout path", path, "contains one of ? * : ; { } \\");
  return relativePathParts("checkout path", path);
}
