// Serves the web dashboard: `/` and `/app` redirect to `/app/`, built assets are served from
// memory, and any other page path under /app/ gets index.html for client-side routing.
// The assets are built at the edge (src/manager/web-assets.ts, with Bun's bundler) and passed in.
// Security headers (CSP, nosniff) come from src/manager/api/security-headers.ts, like every response's.
import type { Context } from "hono";
import type { WebAsset } from "../../web-assets";
import { declareRoute, errorResponse, type ApiApp } from "../http";

const APP_PREFIX = "/app/";
const INDEX_PATH = "/app/index.html";
/** Bundler output names carry a content hash, so they never change under the same URL. */
const HASHED_NAME = /-[a-z0-9]{8,}\.[a-z0-9]+$/i;
const CACHE_IMMUTABLE = "public, max-age=31536000, immutable";
const CACHE_REVALIDATE = "no-cache";

function serve(c: Context, path: string, asset: WebAsset) {
  return c.body(asset.body, 200, {
    "content-type": asset.type,
    "cache-control": HASHED_NAME.test(path) ? CACHE_IMMUTABLE : CACHE_REVALIDATE,
  });
}

export function registerWebRoutes(app: ApiApp, assets: ReadonlyMap<string, WebAsset>): void {
  const index = assets.get(INDEX_PATH);
  if (!index) throw new Error(`web assets lack ${INDEX_PATH}`);

  // Public: the page must load to show the login form; what it shows comes from the API.
  declareRoute(app, ["GET"], "/", "public", (c) => c.redirect(APP_PREFIX, 307));
  declareRoute(app, ["GET"], "/app", "public", (c) => c.redirect(APP_PREFIX, 307));
  declareRoute(app, ["GET"], "/app/*", "public", (c) => {
    const path = c.req.path === APP_PREFIX ? INDEX_PATH : c.req.path;
    const asset = assets.get(path);
    if (asset) return serve(c, path, asset);
    // A missing file (say, a stale hashed script) must not be answered with HTML.
    if (path.slice(path.lastIndexOf("/") + 1).includes("."))
      return errorResponse(c, 404, `no such file: ${path}`);
    return serve(c, INDEX_PATH, index);
  });
}
