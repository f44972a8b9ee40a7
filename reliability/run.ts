// `bun run reliability`: the reliability suite (issue 12). Three scenarios against real Manager
// processes on 127.0.0.1 — kill-9 (crashes under load lose nothing acknowledged), fuzz (broken
// requests get 4xx, never 5xx, hangs or file contents) and ws-abuse (a thousand WebSocket
// clients that mostly never read). Prints a table of figures and one of checks, then the
// findings; exits 1 when a check failed. See docs/reliability.md.
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { FUZZ_DEFAULTS, runFuzz } from "./fuzz";
import { KILL9_DEFAULTS, runKill9 } from "./kill9";
import { killAllManagers } from "./manager-process";
import { type ScenarioResult, formatFindings, formatResults } from "./report";
import { WS_ABUSE_DEFAULTS, runWsAbuse } from "./ws-abuse";

const SCENARIOS = ["kill9", "fuzz", "ws"] as const;
type Scenario = (typeof SCENARIOS)[number];
/** A whole default run takes about five minutes on two cores; past this something hangs. */
const RUN_TIMEOUT_S = 1_200;

const USAGE = `Usage: npm run reliability -- [options]

  --only LIST            scenarios to run, comma-separated: ${SCENARIOS.join(", ")} (default: all)
  --seed N               seed for kill moments and fuzz requests (default: random, printed)
  --keep                 keep every temp folder (folders of failed scenarios are always kept)
  --timeout-s N          give up after N seconds in all (default ${RUN_TIMEOUT_S})

kill-9:
  --kills N              SIGKILLs of the Manager (default ${KILL9_DEFAULTS.kills})
  --workers N            streaming workers (default ${KILL9_DEFAULTS.workers})
  --updates-per-task N   task updates per task, the last one completes it (default ${KILL9_DEFAULTS.updatesPerTask})
  --lines-per-update N   numbered log lines in each update (default ${KILL9_DEFAULTS.linesPerUpdate})

fuzz:
  --fuzz N               requests (default ${FUZZ_DEFAULTS.requests})
  --fuzz-concurrency N   requests in flight (default ${FUZZ_DEFAULTS.concurrency})
  --hang-ms N            no answer within N ms is a hang (default ${FUZZ_DEFAULTS.hangMs})

ws-abuse:
  --ws-clients N         WebSocket clients (default ${WS_ABUSE_DEFAULTS.clients})
  --ws-readers F         share of clients that read (default ${WS_ABUSE_DEFAULTS.readersFraction})
  --ws-per-address N     clients per source address 127.0.x.y (default ${WS_ABUSE_DEFAULTS.perAddress})
  --ws-seconds N         seconds of event flow (default ${WS_ABUSE_DEFAULTS.flowSeconds})
  --ws-rate N            job events per second (default ${WS_ABUSE_DEFAULTS.eventRate})`;

function positive(value: string | undefined, fallback: number, name: string, integer = true): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(n > 0) || (integer && !Number.isInteger(n)))
    throw new Error(`--${name} must be a positive ${integer ? "integer" : "number"}, got ${value}`);
  return n;
}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: "string" },
      seed: { type: "string" },
      keep: { type: "boolean" },
      "timeout-s": { type: "string" },
      kills: { type: "string" },
      workers: { type: "string" },
      "updates-per-task": { type: "string" },
      "lines-per-update": { type: "string" },
      fuzz: { type: "string" },
      "fuzz-concurrency": { type: "string" },
      "hang-ms": { type: "string" },
      "ws-clients": { type: "string" },
      "ws-readers": { type: "string" },
      "ws-per-address": { type: "string" },
      "ws-seconds": { type: "string" },
      "ws-rate": { type: "string" },
      help: { type: "boolean" },
    },
  });
  const only = (values.only?.split(",") ?? [...SCENARIOS]).map((s) => s.trim());
  for (const s of only)
    if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario "${s}"`);
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);
  const keep = values.keep ?? false;
  const readers = positive(values["ws-readers"], WS_ABUSE_DEFAULTS.readersFraction, "ws-readers", false);
  if (readers > 1) throw new Error("--ws-readers is a share between 0 and 1");
  return {
    help: values.help ?? false,
    only: only as Scenario[],
    seed,
    timeoutS: positive(values["timeout-s"], RUN_TIMEOUT_S, "timeout-s"),
    kill9: {
      ...KILL9_DEFAULTS,
      kills: positive(values.kills, KILL9_DEFAULTS.kills, "kills"),
      workers: positive(values.workers, KILL9_DEFAULTS.workers, "workers"),
      updatesPerTask: positive(values["updates-per-task"], KILL9_DEFAULTS.updatesPerTask, "updates-per-task"),
      linesPerUpdate: positive(values["lines-per-update"], KILL9_DEFAULTS.linesPerUpdate, "lines-per-update"),
      seed,
      keep,
    },
    fuzz: {
      requests: positive(values.fuzz, FUZZ_DEFAULTS.requests, "fuzz"),
      concurrency: positive(values["fuzz-concurrency"], FUZZ_DEFAULTS.concurrency, "fuzz-concurrency"),
      hangMs: positive(values["hang-ms"], FUZZ_DEFAULTS.hangMs, "hang-ms"),
      seed,
      keep,
    },
    ws: {
      ...WS_ABUSE_DEFAULTS,
      clients: positive(values["ws-clients"], WS_ABUSE_DEFAULTS.clients, "ws-clients"),
      readersFraction: readers,
      perAddress: positive(values["ws-per-address"], WS_ABUSE_DEFAULTS.perAddress, "ws-per-address"),
      flowSeconds: positive(values["ws-seconds"], WS_ABUSE_DEFAULTS.flowSeconds, "ws-seconds", false),
      eventRate: positive(values["ws-rate"], WS_ABUSE_DEFAULTS.eventRate, "ws-rate"),
      seed,
      keep,
    },
  };
}

async function main(): Promise<number> {
  let opts;
  try {
    opts = parse(Bun.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  const giveUp = setTimeout(() => {
    console.error(`reliability: no result after ${opts.timeoutS} s; stopping`);
    killAllManagers();
    process.exit(1);
  }, opts.timeoutS * 1000);
  process.on("SIGINT", () => {
    killAllManagers();
    process.exit(130);
  });

  const runners: Record<Scenario, () => Promise<ScenarioResult>> = {
    kill9: () => runKill9(opts.kill9),
    fuzz: () => runFuzz(opts.fuzz),
    ws: () => runWsAbuse(opts.ws),
  };
  console.error(`reliability: seed ${opts.seed}; scenarios ${opts.only.join(", ")}`);
  const results: ScenarioResult[] = [];
  for (const name of opts.only) {
    const startedAt = performance.now();
    console.error(`reliability: ${name} ...`);
    try {
      results.push(await runners[name]());
    } catch (err) {
      results.push({
        scenario: name,
        figures: [],
        checks: [{ name: "scenario ran to the end", ok: false, detail: (err as Error).message }],
        findings: [(err as Error).stack ?? String(err)],
      });
    } finally {
      killAllManagers();
    }
    // Timings mean little on a machine busy with other work; say how busy it was.
    results[results.length - 1]?.figures.push([
      "machine load (1-min average) at the end",
      `${(loadavg()[0] ?? 0).toFixed(1)} on ${cpus().length} cores`,
    ]);
    console.error(`reliability: ${name} done in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
  }
  clearTimeout(giveUp);

  console.log(`\nReliability suite, seed ${opts.seed} (repeat with --seed ${opts.seed})\n`);
  console.log(formatResults(results));
  const findings = formatFindings(results);
  if (findings) console.log(`\nFindings:\n${findings}`);
  const failed = results.flatMap((r) => r.checks.filter((c) => !c.ok));
  console.log(failed.length === 0 ? "\nAll checks passed." : `\n${failed.length} check(s) FAILED.`);
  return failed.length === 0 ? 0 : 1;
}

process.exit(await main());
