// Scenario fuzz: every operation of the Manager's own OpenAPI document gets broken requests
// (see fuzz-cases.ts), sent byte for byte over raw HTTP/1.1, plus traversal attempts on every
// route that serves files. The Manager must never answer 5xx (except Shaman's documented 503),
// never leave a request unanswered, never return the contents of a file outside its storage
// (a canary planted next to it, or /etc/passwd), refuse huge bodies with 413, and still answer
// /api/v3/version afterwards.
import createClient from "openapi-fetch";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { quantile } from "../bench/report";
import { basicAuthHeader } from "../src/worker/client";
import type { paths } from "../src/worker/client/schema";
import { createTokenWithCli } from "../test/support/processes";
import { type FuzzCase, buildCases, interleave, randomCases } from "./fuzz-cases";
import { createManagerProcess, scenarioFolder, type ManagerProcess } from "./manager-process";
import { operationsOf } from "./openapi-walk";
import { forEachLimit } from "./pool";
import { createPrng } from "./prng";
import { rawRequest } from "./raw-http";
import { type Check, type ScenarioResult, check, conclude, fmt } from "./report";

export interface FuzzOptions {
  requests: number;
  seed: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** No complete answer within this time is a hang. */
  hangMs: number;
  keep: boolean;
}

export const FUZZ_DEFAULTS: Omit<FuzzOptions, "seed" | "keep"> = {
  requests: 10_000,
  concurrency: 8,
  hangMs: 10_000,
};

/** Where the Manager serves its OpenAPI document (README: /api/v3/openapi3.json). */
const OPENAPI_PATH = "/api/v3/openapi3.json";
/** Shaman is not implemented: its routes answer 503 by design (docs/configuration.md). */
const DOCUMENTED_503_PREFIX = "/api/v3/shaman/";
const LAST_RENDERED_TIMEOUT_MS = 15_000;
const POLL_MS = 50;
const VERSION_TIMEOUT_MS = 5_000;
const EXAMPLES_SHOWN = 5;
const WORKER_SECRET_BYTES = 32;

interface Setup {
  pathValues: Record<string, string>;
  workerAuth: string;
  managerHeaders: Record<string, string>;
  fileUrls: string[];
  auth: string;
}

export async function runFuzz(opts: FuzzOptions): Promise<ScenarioResult> {
  const startedAt = performance.now();
  const folder = scenarioFolder("fuzz");
  const manager = createManagerProcess(folder.root);
  const findings: string[] = [];
  const finish = (figures: [string, string][], checks: Check[]) =>
    conclude("fuzz", folder, opts.keep, { figures, checks, findings });

  // Canaries: files outside the storage folder that no answer may ever contain.
  const marker = `canary-${crypto.randomUUID()}`;
  const canaryName = "canary.txt";
  writeFileSync(join(folder.root, canaryName), `${marker}\n`);
  writeFileSync(join(manager.dir, canaryName), `${marker}\n`);
  const passwdLine = readFileSync("/etc/passwd", "utf8").split("\n")[0] ?? "root:x:0:0";

  const started = await manager.start();
  if (!started.ok) {
    findings.push(`the Manager did not start: ${started.reason}`);
    return finish([], [check("Manager starts", false, started.reason)]);
  }
  let setup: Setup;
  try {
    setup = await prepare(manager);
  } catch (err) {
    findings.push(`setup failed: ${(err as Error).message}`);
    await manager.stop();
    return finish([], [check("fuzz setup", false, (err as Error).message)]);
  }
  const doc: unknown = await fetch(`${manager.url}${OPENAPI_PATH}`, { headers: setup.managerHeaders }).then(
    (r) => r.json(),
  );
  const ops = operationsOf(doc);
  const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: "#c86432" } })
    .jpeg()
    .toBuffer();

  const prng = createPrng(opts.seed);
  const byKind = buildCases(
    ops,
    {
      pathValues: setup.pathValues,
      known: {
        type: "echo-sleep-test",
        submitter_platform: "linux",
        platform: "linux",
        settings: { message: "fuzz" },
        secret: "f".repeat(2 * WORKER_SECRET_BYTES),
        // A mass deletion that matches nothing, should a fuzzed one be accepted.
        last_updated_max: "2000-01-01T00:00:00Z",
        worker_tag: setup.pathValues.tag_id,
        uuid: setup.pathValues.job_id,
      },
      workerAuth: setup.workerAuth,
      managerHeaders: setup.managerHeaders,
      fileUrls: setup.fileUrls,
      canaryName,
      storageDepth: manager.storagePath.split("/").length - 1,
      jpeg,
    },
    prng,
  );
  const systematic = interleave(byKind, prng);
  const cases = systematic.slice(0, opts.requests);
  cases.push(...randomCases(systematic, opts.requests - cases.length, prng));

  const statuses = new Map<string, number>();
  const serverErrors: string[] = [];
  const hangs: string[] = [];
  const leaks: string[] = [];
  const expectations = { due: 0, met: 0, misses: [] as string[] };
  const times: number[] = [];
  let slowest = { ms: 0, what: "" };
  const describe = (c: FuzzCase, status: number | string, body = "") =>
    `${status} ← [${c.kind}] ${c.description}${body ? ` → ${body.slice(0, 160)}` : ""}`;

  await forEachLimit(cases, opts.concurrency, async (c) => {
    const r = await rawRequest("127.0.0.1", manager.port, c.request, opts.hangMs);
    times.push(r.ms);
    if (r.ms > slowest.ms) slowest = { ms: r.ms, what: `[${c.kind}] ${c.description}` };
    const key = r.outcome === "answered" ? String(r.status) : r.outcome;
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
    const text = r.body.toString("latin1");
    if (r.outcome === "hang") hangs.push(describe(c, "no answer"));
    if (r.status >= 500 && !(r.status === 503 && c.request.target.startsWith(DOCUMENTED_503_PREFIX))) {
      serverErrors.push(describe(c, r.status, text));
    }
    if (text.includes(marker) || text.includes(passwdLine)) leaks.push(describe(c, r.status, text));
    if (c.expectStatus !== undefined) {
      expectations.due++;
      if (r.status === c.expectStatus) expectations.met++;
      else {
        const got = describe(c, r.outcome === "answered" ? r.status : r.outcome, text);
        expectations.misses.push(`expected ${c.expectStatus}, got ${got}`);
      }
    }
  });

  const version = await fetch(`${manager.url}/api/v3/version`, {
    signal: AbortSignal.timeout(VERSION_TIMEOUT_MS),
  }).then(
    (r) => r.status,
    (err: Error) => err.message,
  );
  const running = manager.pid() !== null;
  if (!running) findings.push(`the Manager died during the fuzz run: ${manager.logTail(10)}`);
  const exit = await manager.stop();

  findings.push(...serverErrors.slice(0, EXAMPLES_SHOWN).map((e) => `5xx: ${e}`));
  findings.push(...hangs.slice(0, EXAMPLES_SHOWN).map((e) => `hang: ${e}`));
  findings.push(...leaks.slice(0, EXAMPLES_SHOWN).map((e) => `leak: ${e}`));
  findings.push(...expectations.misses.slice(0, EXAMPLES_SHOWN));
  const kinds = new Map<string, number>();
  for (const c of cases) kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
  const byCount = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([k, v]) => `${k}: ${fmt.n(v)}`)
      .join(", ");

  const figures: [string, string][] = [
    ["operations in the OpenAPI document", String(ops.length)],
    [
      "requests (seed)",
      `${fmt.n(cases.length)} (seed ${opts.seed}; ${fmt.n(systematic.length)} systematic cases)`,
    ],
    ["requests per kind", byCount(kinds)],
    ["answers per status", byCount(statuses)],
    ["access", setup.auth],
    ["5xx (not Shaman's 503)", fmt.n(serverErrors.length)],
    [`hangs (no answer in ${opts.hangMs / 1000} s)`, fmt.n(hangs.length)],
    ["leaks (canary or /etc/passwd)", fmt.n(leaks.length)],
    ["huge bodies and uploads answered 413", `${expectations.met} of ${expectations.due}`],
    [
      "answer time p50 / p99 / max",
      `${fmt.ms(quantile(times, 0.5))} / ${fmt.ms(quantile(times, 0.99))} / ${fmt.ms(Math.max(...times))}`,
    ],
    ["slowest request", `${fmt.ms(slowest.ms)}: ${slowest.what.slice(0, 120)}`],
    ["/api/v3/version afterwards", String(version)],
    ["Manager exit after SIGTERM", String(exit)],
    ["duration", `${((performance.now() - startedAt) / 1000).toFixed(1)} s`],
  ];
  return finish(figures, [
    check("no 5xx answers", serverErrors.length === 0, `${serverErrors.length} of ${cases.length}`),
    check("no hangs", hangs.length === 0, `${hangs.length} requests without an answer in ${opts.hangMs} ms`),
    check(
      "no file contents leaked",
      leaks.length === 0,
      `${leaks.length} answers with the canary or /etc/passwd`,
    ),
    check(
      "huge bodies and oversized uploads refused with 413",
      expectations.met === expectations.due && expectations.due > 0,
      `${expectations.met} of ${expectations.due}`,
    ),
    check("Manager still answers /api/v3/version", running && version === 200, `${version}`),
  ]);
}

/**
 * Gives the fuzzer real things to aim at: a worker to authenticate as, a second one and a second
 * job for destructive calls to hit, a task with a log and a job with a last-rendered image (so
 * /job-files/ has files), and a worker tag.
 */
async function prepare(manager: ManagerProcess): Promise<Setup> {
  const managerHeaders = await accessHeaders(manager);
  const api = createClient<paths>({ baseUrl: manager.url, headers: managerHeaders });
  const register = async (name: string) => {
    const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(WORKER_SECRET_BYTES))).toString("hex");
    const r = await api.POST("/api/v3/worker/register-worker", {
      body: { name, secret, platform: "linux", supported_task_types: ["misc"] },
    });
    if (!r.data) throw new Error(`registering ${name}: ${r.response.status} ${JSON.stringify(r.error)}`);
    return basicAuthHeader(r.data.uuid, secret);
  };
  const workerAuth = await register("fuzz");
  const victimAuth = await register("fuzz-victim");
  const worker = createClient<paths>({ baseUrl: manager.url, headers: { Authorization: workerAuth } });
  await worker.POST("/api/v3/worker/sign-on", {
    body: { name: "fuzz", supported_task_types: ["misc"], software_version: "fuzz" },
  });
  await worker.POST("/api/v3/worker/state-changed", { body: { status: "awake" } });

  const submit = async (name: string) => {
    const r = await api.POST("/api/v3/jobs", {
      body: {
        name,
        type: "echo-sleep-test",
        priority: 50,
        submitter_platform: "linux",
        settings: { message: name, sleep_duration_seconds: 1, sleep_repeats: 1 },
      },
    });
    if (!r.data) throw new Error(`submitting ${name}: ${r.response.status} ${JSON.stringify(r.error)}`);
    return r.data.id;
  };
  const jobs = [await submit("fuzz files"), await submit("fuzz victim")];
  const assigned = await worker.POST("/api/v3/worker/task");
  const task = assigned.data;
  if (!task) throw new Error(`no task for the fuzz worker: ${assigned.response.status}`);
  const victimJob = jobs.find((j) => j !== task.job) ?? task.job;
  await worker.POST("/api/v3/worker/task/{task_id}", {
    params: { path: { task_id: task.uuid } },
    body: { log: "fuzz log line\n", activity: "fuzzing" },
  });
  const jpeg = await sharp({ create: { width: 320, height: 200, channels: 3, background: "#3264c8" } })
    .jpeg()
    .toBuffer();
  const uploaded = await fetch(`${manager.url}/api/v3/worker/task/${task.uuid}/output-produced`, {
    method: "POST",
    headers: { Authorization: workerAuth, "Content-Type": "image/jpeg" },
    body: jpeg,
  });
  if (uploaded.status !== 202) throw new Error(`uploading an image: ${uploaded.status}`);
  const deadline = performance.now() + LAST_RENDERED_TIMEOUT_MS;
  let image: { base: string; suffixes?: string[] } | undefined;
  while (!image?.suffixes?.length && performance.now() < deadline) {
    const r = await api.GET("/api/v3/jobs/{job_id}/last-rendered", {
      params: { path: { job_id: task.job } },
    });
    image = r.data;
    if (!image) await Bun.sleep(POLL_MS);
  }
  const log = await api.GET("/api/v3/tasks/{task_id}/log", { params: { path: { task_id: task.uuid } } });
  const fileUrls = [
    ...(log.data ? [log.data.url] : []),
    ...(image?.suffixes?.map((s) => `${image.base}/${s}`) ?? []),
  ];
  if (fileUrls.length < 2)
    throw new Error(`expected a task log and an image in /job-files/, got ${fileUrls.join(", ")}`);

  const tag = await api.POST("/api/v3/worker-mgt/tags", { body: { name: "fuzz" } });
  const tags = await api.GET("/api/v3/worker-mgt/tags");
  const tagId = tag.data?.id ?? tags.data?.tags[0]?.id;
  if (!tagId) throw new Error("could not create a worker tag");
  const victimWorker = Buffer.from(victimAuth.replace("Basic ", ""), "base64").toString().split(":")[0] ?? "";
  return {
    pathValues: {
      job_id: victimJob,
      task_id: task.uuid,
      worker_id: victimWorker,
      tag_id: tagId,
      token_id: "00000000-0000-4000-8000-000000000000",
      typeName: "echo-sleep-test",
      audience: "workers",
      platform: "linux",
      checksum: "0".repeat(64),
      filesize: "100",
    },
    workerAuth,
    managerHeaders,
    fileUrls,
    auth:
      Object.keys(managerHeaders).length > 0
        ? "admin token (loopback alone was refused)"
        : "loopback (no token)",
  };
}

/**
 * Headers for manager-API calls: none when loopback is trusted as admin, else an admin token
 * made with the Manager's `token create` command.
 */
async function accessHeaders(manager: ManagerProcess): Promise<Record<string, string>> {
  const probe = await fetch(`${manager.url}/api/v3/jobs`);
  await probe.arrayBuffer();
  if (probe.status !== 401 && probe.status !== 403) return {};
  const token = await createTokenWithCli(manager.configPath, "fuzz", "admin").catch((err: unknown) => {
    throw new Error(`loopback got ${probe.status} and ${(err as Error).message}`);
  });
  return { Authorization: `Bearer ${token}` };
}
