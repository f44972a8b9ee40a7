// Shaman's limits and timings in one place: upload size, request sizes, how checkouts and the
// garbage collector pace their file-system work.

const GIB = 1024 * 1024 * 1024;

/**
 * The largest single file Shaman accepts. Blender caches (VDB, Alembic) can be tens of GiB; the
 * declared size in the URL also bounds every upload, so this only stops absurd declarations.
 */
export const SHAMAN_UPLOAD_MAX_BYTES = 256 * GIB;

/** Uploads are written in pieces of at least this size, so tiny network chunks do not each cost a write. */
export const UPLOAD_WRITE_BUFFER_BYTES = 1024 * 1024;
/** Uploads run a garbage collection after every this many bytes received (see receive-file.ts). */
export const UPLOAD_GC_EVERY_BYTES = 128 * 1024 * 1024;

/** Files in one requirements or checkout request (BAT packs of big productions reach tens of thousands). */
export const CHECKOUT_MAX_FILES = 200_000;
/** The JSON of a requirements or checkout request: CHECKOUT_MAX_FILES specs of ~200 bytes each. */
export const CHECKOUT_REQUEST_MAX_BODY_BYTES = 64 * 1024 * 1024;
/** A checkout path, and a file's path inside a checkout, in characters. */
export const CHECKOUT_PATH_MAX_CHARS = 1024;

/** Attempts at a unique checkout directory: the requested one, then with random suffixes. */
export const CHECKOUT_UNIQUE_ATTEMPTS = 10;
/** Length of the `-xxxx` suffix that makes a checkout directory unique. */
export const CHECKOUT_SUFFIX_CHARS = 4;
/** File-system operations a checkout, a garbage-collection sweep or a status count runs at once. */
export const SHAMAN_FS_CONCURRENCY = 32;

/** The first garbage-collection sweep runs this long after start-up, out of the start-up rush. */
export const GC_FIRST_SWEEP_DELAY_MS = 30_000;
