// The interactive API documentation: Scalar's API reference, served from the installed
// @scalar/api-reference package instead of a CDN, so it works on a farm without internet access
// and under the Content-Security-Policy (src/manager/api/security-headers.ts). The page has no
// inline script: Scalar's standalone bundle reads its configuration from data attributes of the
// empty `#api-reference` element.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { ApiApp } from "../http";

/** The package's self-contained browser bundle (its `browser` entry, not in its `exports`). */
const SCALAR_BUNDLE_FILE = fileURLToPath(
  new URL("./browser/standalone.js", import.meta.resolve("@scalar/api-reference")),
);
const SCALAR_BUNDLE_NAME = "standalone.js";
/**
 * Prepended to the bundle. Zod, inside it, probes whether it may compile code with `Function("")`;
 * under `script-src 'self'` that probe is refused and reported as a policy violation. In jitless
 * mode Zod skips the probe and validates as it would after a refusal.
 */
const BUNDLE_PRELUDE = "(globalThis.__zod_globalConfig ??= {}).jitless = true;\n";

/**
 * Nothing from other hosts: no web fonts (the system's are used), no telemetry, no AI agent.
 * Requests made with "Test Request" go straight to this Manager, which is same-origin.
 */
const SCALAR_CONFIGURATION = { withDefaultFonts: false, telemetry: false, agent: { disabled: true } };

const escapeAttribute = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;");

function docsPage(openApiUrl: string, bundleUrl: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <link rel="icon" href="data:," />
    <title>Tablao API</title>
  </head>
  <body>
    <script
      id="api-reference"
      data-url="${escapeAttribute(openApiUrl)}"
      data-configuration="${escapeAttribute(JSON.stringify(SCALAR_CONFIGURATION))}"
    ></script>
    <script src="${escapeAttribute(bundleUrl)}"></script>
  </body>
</html>
`;
}

interface Bundle {
  body: Uint8Array<ArrayBuffer>;
  etag: string;
}

/** Serves the docs page at `path` and Scalar's bundle below it; the bundle is read on first use. */
export function registerApiDocs(app: ApiApp, path: string, openApiUrl: string): void {
  const bundleUrl = `${path}/${SCALAR_BUNDLE_NAME}`;
  const page = docsPage(openApiUrl, bundleUrl);
  let bundle: Promise<Bundle> | null = null;
  const loadBundle = async (): Promise<Bundle> => {
    const prelude = new TextEncoder().encode(BUNDLE_PRELUDE);
    const scalar = await readFile(SCALAR_BUNDLE_FILE);
    const body = new Uint8Array(prelude.length + scalar.length);
    body.set(prelude);
    body.set(scalar, prelude.length);
    return { body, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"` };
  };

  app.get(path, (c) => c.html(page, 200, { "cache-control": "no-cache" }));
  app.get(bundleUrl, async (c) => {
    // A failed read is not kept: the next visit tries again.
    bundle ??= loadBundle().catch((err: unknown) => {
      bundle = null;
      throw err;
    });
    const { body, etag } = await bundle;
    // Revalidated on each visit (the URL stays the same across upgrades), downloaded once.
    const headers = { etag, "cache-control": "no-cache" };
    if (c.req.header("if-none-match") === etag) return c.body(null, 304, headers);
    return c.body(body, 200, { ...headers, "content-type": "text/javascript; charset=utf-8" });
  });
}
