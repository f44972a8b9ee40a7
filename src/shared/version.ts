// Who this program says it is: Tablao's own version, and the Flamenco release whose wire
// protocol it speaks (reported as `shortversion`, which Flamenco clients compare).
import pkg from "../../package.json";

export const PRODUCT_NAME = pkg.name;
export const PRODUCT_VERSION = pkg.version;
export const FLAMENCO_COMPAT_VERSION = "3.9";
