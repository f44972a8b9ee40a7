// Platform names as Flamenco uses them (Go's GOOS: linux, windows, darwin, ...), plus the
// `all` wildcard of variable definitions.

export const WINDOWS_PLATFORM = "windows";
export const ALL_PLATFORMS = "all";

/** Maps Node/Bun's `process.platform` to the Go name workers report (`win32` → `windows`). */
export function goPlatformName(nodePlatform: string): string {
  return nodePlatform === "win32" ? WINDOWS_PLATFORM : nodePlatform;
}
