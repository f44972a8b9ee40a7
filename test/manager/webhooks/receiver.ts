// A real local HTTP receiver for the webhook tests: Bun.serve on a port that can be taken down
// and brought back on the same port, recording every request; `hold` keeps answers back until
// released, as a hanging receiver would.
import { createHmac, timingSafeEqual } from "node:crypto";

export interface Received {
  headers: Record<string, string>;
  body: string;
  json: Record<string, unknown>;
}

export interface Receiver {
  port: number;
  url: string;
  received: Received[];
  /** Stops listening (connections are refused) until up() is called. */
  down(): Promise<void>;
  up(): void;
  /** Answers wait until release() is called. */
  hold(): void;
  release(): void;
  /** The status the next answers get (default 204). */
  answerWith(status: number): void;
  stop(): Promise<void>;
}

/** Checks a delivery's signature as docs/webhooks.md tells receivers to. */
export function signatureValid(r: Received, secret: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(r.body).digest("hex")}`);
  const got = Buffer.from(r.headers["x-tablao-signature"] ?? "");
  return got.length === expected.length && timingSafeEqual(got, expected);
}

export function startReceiver(): Receiver {
  const received: Received[] = [];
  let status = 204;
  let gate: Promise<void> | null = null;
  let open: () => void = () => {};
  const fetch = async (req: Request) => {
    const body = await req.text();
    received.push({
      headers: Object.fromEntries(req.headers),
      body,
      json: JSON.parse(body) as Record<string, unknown>,
    });
    if (gate) await gate;
    return new Response(null, { status });
  };
  let server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch });
  const port = server.port!;
  let listening = true;
  return {
    port,
    url: `http://127.0.0.1:${port}/hook`,
    received,
    async down() {
      listening = false;
      await server.stop(true);
    },
    up() {
      if (listening) return;
      server = Bun.serve({ hostname: "127.0.0.1", port, fetch });
      listening = true;
    },
    hold() {
      gate = new Promise((resolve) => (open = resolve));
    },
    release() {
      gate = null;
      open();
    },
    answerWith(s) {
      status = s;
    },
    async stop() {
      this.release();
      if (listening) await server.stop(true);
    },
  };
}
