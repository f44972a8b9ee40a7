// Samples a running Manager every ~50 ms: its resident memory (VmRSS from /proc/<pid>/status)
// and how long `GET /api/v3/version` takes. It runs as a child process, so that the load the
// scenario itself generates (a thousand sockets in the parent) does not slow the measurement
// down and get blamed on the Manager. The parent names phases; every sample belongs to the
// phase in effect when it started, and the report gives figures per phase.
import type { Subprocess } from "bun";
import { readRssBytes } from "../bench/proc-stats";
import { quantile } from "../bench/report";

export interface PhaseStats {
  phase: string;
  samples: number;
  /** Probes that failed or got no answer within the probe timeout. */
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  rssMaxBytes: number;
  rssLastBytes: number;
}

type ToSampler =
  | { kind: "start"; url: string; pid: number; intervalMs: number; timeoutMs: number; phase: string }
  | { kind: "phase"; name: string }
  | { kind: "report" };
type FromSampler = { kind: "report"; phases: PhaseStats[] };

export interface Sampler {
  phase(name: string): void;
  /** The figures per phase so far, in the order the phases began; ends the child. */
  finish(): Promise<PhaseStats[]>;
}

const REPORT_TIMEOUT_MS = 10_000;

/** Starts sampling at once, in phase `firstPhase`. */
export function startSampler(
  url: string,
  pid: number,
  opts: { intervalMs: number; timeoutMs: number; firstPhase: string },
): Sampler {
  let report: ((phases: PhaseStats[]) => void) | null = null;
  const child: Subprocess = Bun.spawn([process.execPath, import.meta.path], {
    stdin: "ignore",
    stdout: "inherit",
    stderr: "inherit",
    ipc(message: FromSampler) {
      report?.(message.phases);
    },
  });
  const send = (m: ToSampler) => child.send(m);
  send({
    kind: "start",
    url,
    pid,
    intervalMs: opts.intervalMs,
    timeoutMs: opts.timeoutMs,
    phase: opts.firstPhase,
  });
  return {
    phase: (name) => send({ kind: "phase", name }),
    async finish() {
      const { promise, resolve, reject } = Promise.withResolvers<PhaseStats[]>();
      report = resolve;
      const timer = setTimeout(() => reject(new Error("the sampler did not report")), REPORT_TIMEOUT_MS);
      send({ kind: "report" });
      try {
        return await promise;
      } finally {
        clearTimeout(timer);
        child.kill();
        await child.exited;
      }
    },
  };
}

interface Samples {
  latencies: number[];
  errors: number;
  rssMax: number;
  rssLast: number;
}

function runChild() {
  const phases = new Map<string, Samples>();
  let current = "";
  let running = false;

  const sampleLoop = async (m: Extract<ToSampler, { kind: "start" }>) => {
    running = true;
    while (running) {
      const startedAt = performance.now();
      const phase = current;
      let ok = false;
      try {
        const res = await fetch(`${m.url}/api/v3/version`, { signal: AbortSignal.timeout(m.timeoutMs) });
        await res.arrayBuffer();
        ok = res.ok;
      } catch {
        ok = false;
      }
      const ms = performance.now() - startedAt;
      const rss = readRssBytes(m.pid);
      let s = phases.get(phase);
      if (!s) phases.set(phase, (s = { latencies: [], errors: 0, rssMax: 0, rssLast: Number.NaN }));
      s.latencies.push(ms);
      if (!ok) s.errors++;
      if (Number.isFinite(rss)) {
        s.rssMax = Math.max(s.rssMax, rss);
        s.rssLast = rss;
      }
      await Bun.sleep(Math.max(0, m.intervalMs - (performance.now() - startedAt)));
    }
  };

  // The parent went away (finished, or was interrupted): nothing left to sample for.
  process.on("disconnect", () => process.exit(0));
  process.on("message", (m: ToSampler) => {
    if (m.kind === "start") {
      current = m.phase;
      void sampleLoop(m);
    } else if (m.kind === "phase") current = m.name;
    else {
      running = false;
      const out: PhaseStats[] = [...phases].map(([phase, s]) => ({
        phase,
        samples: s.latencies.length,
        errors: s.errors,
        p50Ms: quantile(s.latencies, 0.5),
        p99Ms: quantile(s.latencies, 0.99),
        maxMs: Math.max(...s.latencies),
        rssMaxBytes: s.rssMax,
        rssLastBytes: s.rssLast,
      }));
      process.send?.({ kind: "report", phases: out } satisfies FromSampler);
    }
  });
}

if (import.meta.main) runChild();
