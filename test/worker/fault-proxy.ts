// A proxy in front of a real Manager for worker tests: forwards every request, records what it
// saw, and can answer chosen requests itself (a 503, a dropped connection) to inject faults.
export interface ProxiedRequest {
  method: string;
  path: string;
  status: number;
  contentType: string | null;
  auth: string | null;
  userAgent: string | null;
  body: Uint8Array;
}

/** Returns a Response to answer instead of the Manager, or null to forward the request. */
export type FaultRule = (method: string, path: string) => Response | null;

export interface FaultProxy {
  url: string;
  requests: ProxiedRequest[];
  fail(rule: FaultRule | null): void;
  /** Closes the proxy and its open connections. */
  stop(): Promise<void>;
}

export function startFaultProxy(targetUrl: string): FaultProxy {
  const requests: ProxiedRequest[] = [];
  let rule: FaultRule | null = null;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const body = new Uint8Array(await req.arrayBuffer());
      const seen = {
        method: req.method,
        path: url.pathname,
        contentType: req.headers.get("Content-Type"),
        auth: req.headers.get("Authorization"),
        userAgent: req.headers.get("User-Agent"),
        body,
      };
      const injected = rule?.(req.method, url.pathname);
      if (injected) {
        requests.push({ ...seen, status: injected.status });
        return injected;
      }
      const headers = new Headers(req.headers);
      headers.delete("host");
      const res = await fetch(`${targetUrl}${url.pathname}${url.search}`, {
        method: req.method,
        // A client that hangs up is gone for the Manager too, as behind a real reverse proxy.
        signal: req.signal,
        headers,
        body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
      });
      requests.push({ ...seen, status: res.status });
      const out = new Headers(res.headers);
      out.delete("content-encoding");
      out.delete("content-length");
      return new Response(await res.arrayBuffer(), { status: res.status, headers: out });
    },
  });
  return {
    url: server.url.href.replace(/\/$/, ""),
    requests,
    fail(r) {
      rule = r;
    },
    stop() {
      return server.stop(true);
    },
  };
}
