// Security headers on every response of the Manager's HTTP app. The dashboard and the API docs
// page load only their own scripts (no inline script, nothing from other hosts), so a strict
// Content-Security-Policy costs nothing and turns an injected `<script>` or a hostile embedding
// into a refused load. JSON, task logs and images get the same headers: the policy only acts
// when a browser renders a response as a page, and then it should be just as strict.
import type { ApiApp } from "./http";

/**
 * `style-src 'unsafe-inline'`: Preact and Scalar set element styles and inject `<style>` blocks;
 * styles cannot run code. `img-src data: blob:` for the favicon stub and rendered previews.
 * `connect-src 'self'` covers the dashboard's same-origin WebSocket.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  // A JSON body or an uploaded image is never run as a script or shown as a page by guessing.
  "x-content-type-options": "nosniff",
  // Job and worker IDs in dashboard URLs stay on the farm.
  "referrer-policy": "no-referrer",
};

/** Install before any route, so the headers also reach 404s and error responses. */
export function installSecurityHeaders(app: ApiApp): void {
  const headers = Object.entries(SECURITY_HEADERS);
  app.use("*", async (c, next) => {
    await next();
    for (const [name, value] of headers) c.res.headers.set(name, value);
  });
}
