// Who this program says it is: Tablao's own version, the Flamenco release whose wire protocol
// it speaks, and the Flamenco version the Manager reports by default (`flamenco_version`).
import pkg from "../../package.json";

export const PRODUCT_NAME = pkg.name;
export const PRODUCT_VERSION = pkg.version;
/** The Flamenco protocol Tablao implements; its own worker announces it in its User-Agent. */
export const FLAMENCO_COMPAT_VERSION = "3.9";
/**
 * What `GET /api/v3/version` reports as `shortversion` unless `flamenco_version` says otherwise.
 * The Blender add-on refuses to submit (until forced) when this is not exactly its own version,
 * so the default is the current stable Flamenco release, the add-on most studios run.
 */
export const DEFAULT_FLAMENCO_VERSION = "3.8.2";
/** A Flamenco version as its releases are named: `3.8`, `3.8.2`, `3.9-beta1`, `3.9-alpha6`, `3.9-rc1`. */
export const FLAMENCO_VERSION_FORMAT = /^\d{1,4}(\.\d{1,4}){1,3}(-(alpha|beta|rc)\d{1,4})?$/;
