// The README's commands as a machine with only Node.js and npm runs them: each command, in the
// form the README gives, through `sh -c` from a PATH that has node, npm and npx but no Bun, in a
// throw-away copy of the project (npm runs scripts in the project folder, so that is where
// their files land). The commands are read from README.md, its `sh` blocks and inline code, so
// a command added there without a case here fails, and so does one given only for Bun: a `bun`
// command may only follow an npm one as its `# or:` alternative.
import type { Subprocess } from "bun";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { z } from "zod";
import { TOKEN_PREFIX } from "../../src/manager/auth/secrets";
import { freePort, managerApi, managerEnv, REPO_ROOT, TEST_WORKER_TIME_SCALE } from "../support/processes";
import { tempDirs } from "../support/temp-dirs";
import { waitFor } from "../support/wait";

const README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
/** A command line of interest: optional VAR=value assignments, then npm, npx or bun with arguments. */
const COMMAND = /^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(npm|npx|bun)\s+\S/;
/** What the project copy needs: copied where a command writes into it, linked where it only reads. */
const COPIED = [
  "package.json",
  "package-lock.json",
  "tsconfig.json",
  "bunfig.toml",
  "drizzle.config.ts",
  "src",
  "openapi",
];
const LINKED = ["node_modules", "bench", "reliability", "test"];
/** The Bun binary `npm install` leaves is over 50 MB; its placeholder, before the install script ran, is tiny. */
const MIN_BUN_BINARY_BYTES = 1_000_000;
const MANAGER_START_TIMEOUT_MS = 20_000;
const WORKER_SIGN_ON_TIMEOUT_MS = 20_000;
/** Long runs (benchmarks) are stopped once they print this early line; their full runs are by hand. */
const FIRST_LINE_TIMEOUT_MS = 45_000;
const COMMAND_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
/** Each case: a start, a wait of at most one of the timeouts above, and a stop. */
const CASE_TIMEOUT_MS = 90_000;
/** The stress tool's measured time, in seconds, in place of its 60 s default. */
const STRESS_DURATION_S = "1";

// ---- The README's commands ----

interface ReadmeCommands {
  /** npm and npx commands, each once. */
  commands: Set<string>;
  /** `bun` commands not given as the alternative of an npm command on their line. */
  bunOnly: string[];
  /** `# or:` alternatives that do not do what their line's npm command does. */
  wrongAlternatives: string[];
}

/** `bun install` ↔ `npm install`, `bun run test` ↔ `npm test`, `bun run S ARGS` ↔ `npm run S -- ARGS`, `bun F` ↔ `npx bun F`. */
function npmFormOf(bunCommand: string): string {
  const [, ...words] = bunCommand.split(/\s+/);
  if (words[0] === "install") return "npm install";
  if (words[0] === "run" && words[1] === "test" && words.length === 2) return "npm test";
  if (words[0] === "run" && words[1]) {
    const args = words.slice(2);
    return ["npm", "run", words[1], ...(args.length ? ["--", ...args] : [])].join(" ");
  }
  return ["npx", "bun", ...words].join(" ");
}

function splitCommands(code: string): string[] {
  return code
    .split("&&")
    .map((part) => part.trim().replace(/\s+/g, " "))
    .filter((part) => COMMAND.test(part));
}

function readmeCommands(text: string): ReadmeCommands {
  const found: ReadmeCommands = { commands: new Set(), bunOnly: [], wrongAlternatives: [] };
  const take = (command: string) => {
    if (COMMAND.exec(command)?.[1] === "bun") found.bunOnly.push(command);
    else found.commands.add(command);
  };
  let fence: string | null = null;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] ?? "";
    const fenceMatch = /^\s*```(\S*)/.exec(line);
    if (fenceMatch) {
      fence = fence === null ? (fenceMatch[1] ?? "") : null;
      continue;
    }
    if (fence !== "sh") {
      for (const span of line.matchAll(/`([^`]+)`/g)) if (span[1] && COMMAND.test(span[1])) take(span[1]);
      continue;
    }
    while (line.endsWith("\\") && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i] ?? ""}`;
    const [code = "", comment = ""] = line.split(/\s#\s?(.*)/);
    const commands = splitCommands(code);
    commands.forEach(take);
    const alternative = /^or:\s*(.*)$/.exec(comment.trim())?.[1];
    if (alternative === undefined) continue;
    const bunForms = splitCommands(alternative);
    const asNpm = bunForms.map(npmFormOf);
    if (bunForms.some((c) => !c.startsWith("bun ")) || JSON.stringify(asNpm) !== JSON.stringify(commands)) {
      found.wrongAlternatives.push(line);
    }
  }
  return found;
}

/** The README's TypeScript example that starts with `// watch.ts`. */
function readmeWatchScript(text: string): string {
  const script = /```ts\n(\/\/ watch\.ts[^\n]*\n[\s\S]*?)```/.exec(text)?.[1];
  if (!script) throw new Error("README.md has no ts block starting with // watch.ts");
  return script;
}

// ---- A PATH without Bun, a copy of the project, processes in their own group ----

const tempDir = tempDirs("tablao-npm-only");
let project = "";
let logDir = "";
let env: Record<string, string | undefined> = {};

/** node, npm and npx linked into one folder, then every PATH folder that holds no `bun`. */
function pathWithoutBun(binDir: string): string {
  for (const tool of ["node", "npm", "npx"]) {
    const target = Bun.which(tool);
    if (!target) throw new Error(`${tool} is not on the PATH`);
    symlinkSync(target, join(binDir, tool));
  }
  const rest = (process.env.PATH ?? "").split(":").filter((dir) => dir && !existsSync(join(dir, "bun")));
  return [binDir, ...rest].join(":");
}

function copyProject(dir: string): void {
  for (const name of COPIED) cpSync(join(REPO_ROOT, name), join(dir, name), { recursive: true });
  for (const name of LINKED) symlinkSync(join(REPO_ROOT, name), join(dir, name));
}

interface Run {
  proc: Subprocess;
  output(): string;
  /**
   * Sends `signal` to the whole group, as a terminal's Ctrl-C does, and waits for the exit. npm
   * answers its own SIGINT with 130 whatever its script does, so callers judge the program by
   * its output; this checks that nothing of the group is left running.
   */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

const groups = new Set<Subprocess>();
let runCount = 0;

/** `sh -c COMMAND` in the project copy, in its own process group, its output in a file. */
function start(command: string, opts: { env?: Record<string, string> } = {}): Run {
  const logPath = join(logDir, `run-${++runCount}.log`);
  // Both streams in one file, in order, as a terminal shows them.
  const proc = Bun.spawn(["sh", "-c", `exec 2>&1; ${command}`], {
    cwd: project,
    env: { ...env, ...opts.env },
    stdin: "ignore",
    stdout: Bun.file(logPath),
    detached: true,
  });
  groups.add(proc);
  const output = () => (existsSync(logPath) ? readFileSync(logPath, "utf8") : "");
  return {
    proc,
    output,
    async stop(signal = "SIGINT") {
      signalGroup(proc, signal);
      const timer = setTimeout(() => signalGroup(proc, "SIGKILL"), STOP_TIMEOUT_MS);
      try {
        const code = await proc.exited;
        await waitFor(`the rest of ${command}'s process group to exit`, () => !groupAlive(proc));
        return code;
      } finally {
        clearTimeout(timer);
        groups.delete(proc);
      }
    },
  };
}

function groupAlive(proc: Subprocess): boolean {
  try {
    process.kill(-proc.pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(proc: Subprocess, signal: NodeJS.Signals): void {
  try {
    process.kill(-proc.pid, signal);
  } catch {
    // The group has already exited.
  }
}

/** Runs `command` to its end; returns its exit code and output. */
async function run(command: string, opts: { env?: Record<string, string> } = {}) {
  const r = start(command, opts);
  const timer = setTimeout(() => signalGroup(r.proc, "SIGKILL"), COMMAND_TIMEOUT_MS);
  const code = await r.proc.exited;
  clearTimeout(timer);
  groups.delete(r.proc);
  return { code, output: r.output() };
}

/** Starts `command` and waits for `text` in its output, then stops its whole group. */
async function startsAndPrints(command: string, text: string, opts: { env?: Record<string, string> } = {}) {
  const r = start(command, opts);
  try {
    await waitFor(
      `${JSON.stringify(text)} from ${command}`,
      () => {
        if (r.proc.exitCode !== null) throw new Error(`${command} exited ${r.proc.exitCode}:\n${r.output()}`);
        return r.output().includes(text);
      },
      FIRST_LINE_TIMEOUT_MS,
    );
  } finally {
    await r.stop("SIGKILL");
  }
}

beforeAll(() => {
  const bin = tempDir();
  const path = pathWithoutBun(bin);
  logDir = tempDir();
  project = join(tempDir(), "tablao");
  mkdirSync(project);
  copyProject(project);
  // npm's own variables (when this file runs under `npm test`) would leak into the nested npm.
  const inherited = Object.entries(managerEnv()).filter(([key]) => !key.startsWith("npm_"));
  env = { ...Object.fromEntries(inherited), PATH: path, TABLAO_WORKER_TIME_SCALE: TEST_WORKER_TIME_SCALE };
});

afterAll(() => {
  for (const proc of groups) signalGroup(proc, "SIGKILL");
});

// ---- The cases: one per README command ----

const readme = readmeCommands(README);
/** The README commands the cases below run. */
const handled: string[] = [];

/** Exit code 0, with the output in the failure message when not. */
function expectSuccess(result: { code: number; output: string }): void {
  expect(result).toMatchObject({ code: 0 });
}

describe("the README", () => {
  test("gives no command for Bun alone, and each `# or:` alternative matches its npm command", () => {
    expect(readme.bunOnly).toEqual([]);
    expect(readme.wrongAlternatives).toEqual([]);
  });

  test("the PATH the commands run from has node and npm but no bun", () => {
    expect(Bun.which("bun", { PATH: env.PATH })).toBeNull();
    expect(Bun.which("npm", { PATH: env.PATH })).not.toBeNull();
  });
});

const WorkersAnswer = z.object({ workers: z.array(z.object({ name: z.string(), status: z.string() })) });
const ECHO_JOB = {
  name: "npm-only",
  type: "echo-sleep-test",
  priority: 50,
  submitter_platform: "linux",
  settings: { message: "hello", sleep_duration_seconds: 1, sleep_repeats: 3 },
};

/** A worker started by `command` signs on to the Manager at `url`, then signs off on Ctrl-C. */
async function workerSignsOnAndStops(command: string, url: string, name: string) {
  const home = tempDir();
  const worker = start(command, { env: { FLAMENCO_HOME: home, FLAMENCO_WORKER_NAME: name } });
  try {
    await waitFor(
      `worker ${name} awake`,
      async () => {
        if (worker.proc.exitCode !== null) throw new Error(`worker exited:\n${worker.output()}`);
        const { workers } = WorkersAnswer.parse(await managerApi(url).get("/api/v3/worker-mgt/workers"));
        return workers.some((w) => w.name === name && w.status === "awake");
      },
      WORKER_SIGN_ON_TIMEOUT_MS,
    );
  } finally {
    await worker.stop("SIGINT");
  }
  expect(worker.output()).toContain("signed off (204)");
}

describe("while `npm run server` runs", () => {
  let server: Run;
  let url = "";

  beforeAll(async () => {
    const port = freePort();
    url = `http://127.0.0.1:${port}`;
    // PORT (an override the README documents) keeps the test off port 8080.
    server = start("npm run server", { env: { PORT: String(port) } });
    await waitFor(
      "the Manager started by npm run server",
      () =>
        fetch(`${url}/api/v3/version`).then(
          (res) => res.ok,
          () => false,
        ),
      MANAGER_START_TIMEOUT_MS,
    );
  });

  const cases: Record<string, (command: string) => Promise<void>> = {
    "npm run server": async () => {
      expect(existsSync(join(project, "flamenco-manager.sqlite"))).toBe(true);
    },
    "npx bun watch.ts": async (command) => {
      writeFileSync(
        join(project, "watch.ts"),
        readmeWatchScript(README).replace("ws://localhost:8080/ws", `${url.replace("http", "ws")}/ws`),
      );
      const watch = start(command);
      try {
        // Subscribed before the job exists, or its event would be missed.
        await waitFor(
          "a job event from watch.ts",
          async () => {
            if (watch.proc.exitCode !== null) throw new Error(`watch.ts exited:\n${watch.output()}`);
            await managerApi(url).post("/api/v3/jobs", ECHO_JOB);
            return watch.output().includes('"event":"/jobs"');
          },
          FIRST_LINE_TIMEOUT_MS,
        );
      } finally {
        await watch.stop("SIGKILL");
      }
    },
    "npm run worker -- -manager http://MANAGER:8080/": (command) =>
      workerSignsOnAndStops(command.replace("http://MANAGER:8080/", `${url}/`), url, "npm-only-flag"),
    // Bare, the worker reads manager_url from flamenco-worker.yaml in its working directory.
    "npm run worker": async (command) => {
      writeFileSync(join(project, "flamenco-worker.yaml"), stringify({ manager_url: `${url}/` }));
      await workerSignsOnAndStops(command, url, "npm-only-config");
    },
    "npm run stress -- --manager URL --workers 50": async (command) => {
      await managerApi(url).post("/api/v3/jobs", ECHO_JOB);
      const result = await run(
        `${command.replace("URL", url).replace("--workers 50", "--workers 2")} --duration ${STRESS_DURATION_S}`,
      );
      expectSuccess(result);
      expect(result.output).toContain("status codes:");
    },
  };

  for (const [command, check] of Object.entries(cases)) {
    test(command, () => check(command), CASE_TIMEOUT_MS);
  }
  handled.push(...Object.keys(cases));

  test("Ctrl-C stops `npm run server` cleanly", async () => {
    await server.stop("SIGINT");
    expect(server.output()).toMatch(/SIGINT received, shutting down\n(.*\n)*.* stopped\n$/);
  });
});

describe("with the Manager stopped", () => {
  const cases: Record<string, (command: string) => Promise<void>> = {
    "npm run server -- restore FILE": async (command) => {
      const backup = join(tempDir(), "backup.sqlite");
      cpSync(join(project, "flamenco-manager.sqlite"), backup);
      const result = await run(command.replace("FILE", backup));
      expectSuccess(result);
      expect(readdirSync(project).some((f) => f.startsWith("flamenco-manager.sqlite.before-restore-"))).toBe(
        true,
      );
    },
    "npm run server -- token create --name alice --role admin --expires 90d": async (command) => {
      const result = await run(command);
      expectSuccess(result);
      expect(result.output).toContain(`\n${TOKEN_PREFIX}`);
    },
    "npm run server -- token list": async (command) => {
      const result = await run(command);
      expectSuccess(result);
      expect(result.output).toMatch(/^alice\s+admin\s/m);
    },
    "npm run server -- shaman-gc --dry-run": async (command) => {
      const config = join(project, "flamenco-manager.yaml");
      writeFileSync(config, stringify({ _meta: { version: 3 }, shared_storage_path: tempDir() }));
      try {
        const result = await run(command);
        expectSuccess(result);
        expect(result.output).toContain("would remove 0 of 0 blob(s), 0 bytes");
      } finally {
        rmSync(config);
      }
    },
    "npm run server -- token revoke alice": async (command) => {
      const result = await run(command);
      expectSuccess(result);
      expect(result.output).toContain("revoked token alice");
    },
    "npm run server -- --config FILE": async (command) => {
      const dir = tempDir();
      const port = freePort();
      const file = join(dir, "flamenco-manager.yaml");
      writeFileSync(file, stringify({ _meta: { version: 3 }, listen: `127.0.0.1:${port}` }));
      const server = start(command.replace("FILE", file));
      try {
        await waitFor(
          "the Manager started with --config",
          () =>
            fetch(`http://127.0.0.1:${port}/api/v3/version`).then(
              (res) => res.ok,
              () => false,
            ),
          MANAGER_START_TIMEOUT_MS,
        );
        // Relative paths of the file resolve against its folder.
        expect(existsSync(join(dir, "flamenco-manager.sqlite"))).toBe(true);
      } finally {
        await server.stop("SIGINT");
      }
      expect(server.output()).toMatch(/ stopped\n/);
    },
  };
  for (const [command, check] of Object.entries(cases)) {
    test(command, () => check(command), CASE_TIMEOUT_MS);
  }
  handled.push(...Object.keys(cases));
});

describe("scripts that need no Manager", () => {
  const cases: Record<string, (command: string) => Promise<void>> = {
    // A real install would change the node_modules this copy shares with the repository;
    // .ci/run's `npm ci` installs for real on a machine without Bun.
    "npm install": async (command) => {
      const result = await run(`${command} --dry-run --no-audit --no-fund`);
      expectSuccess(result);
      // npm 12 runs a dependency's install script only when allowScripts lets it; Bun's puts the
      // binary in place of a placeholder.
      const pkg = z
        .object({ allowScripts: z.record(z.string(), z.boolean()) })
        .parse(JSON.parse(readFileSync(join(project, "package.json"), "utf8")));
      expect(pkg.allowScripts.bun).toBe(true);
      expect(statSync(join(project, "node_modules/.bin/bun")).size).toBeGreaterThan(MIN_BUN_BINARY_BYTES);
    },
    // The whole suite is what runs this file; one small test file shows the script works.
    "npm test": async (command) => {
      const result = await run(`${command} -- test/shared/shell-split.test.ts`);
      expectSuccess(result);
      expect(result.output).toMatch(/\d+ pass/);
    },
    // Node tools, no Bun involved; CI runs them in full. Here: the scripts resolve.
    "npm run typecheck": async (command) => {
      const result = await run(`${command} -- --version`);
      expectSuccess(result);
      expect(result.output).toMatch(/Version \d/);
    },
    "npm run lint": async (command) => {
      const result = await run(`${command} -- --version`);
      expectSuccess(result);
      expect(result.output).toMatch(/v\d+\.\d+/);
    },
    "npm run openapi": async (command) => {
      const result = await run(command);
      expectSuccess(result);
      expect(result.output).toContain(`wrote ${join(project, "openapi/flamenco-manager.yaml")}`);
    },
    "npm run client": async (command) => {
      const target = join(project, "src/worker/client/schema.d.ts");
      rmSync(target);
      const result = await run(command);
      expectSuccess(result);
      expect(existsSync(target)).toBe(true);
    },
    "npm run db:generate": async (command) => {
      const result = await run(command);
      expectSuccess(result);
    },
    "npm run bench:submit": async (command) => {
      const result = await run(command);
      expectSuccess(result);
      expect(result.output).toContain("bench/submit: one job of");
    },
    // The long benchmarks run by hand; here each must get going.
    "npm run bench:scheduler": (command) =>
      startsAndPrints(command, "Scheduler benchmark:", { env: { TMPDIR: tempDir() } }),
    "npm run bench:scheduler -- --rounds 3": (command) =>
      startsAndPrints(command, "Rounds: 3 per queue size", { env: { TMPDIR: tempDir() } }),
    "TMPDIR=/dev/shm npm run bench:scheduler": async (command) => {
      const shm = mkdtempSync("/dev/shm/tablao-npm-only-");
      try {
        await startsAndPrints(command.replace("TMPDIR=/dev/shm", `TMPDIR=${shm}`), "Scheduler benchmark:");
      } finally {
        rmSync(shm, { recursive: true, force: true });
      }
    },
    "npm run bench:profile": (command) =>
      startsAndPrints(command, "Scheduler profile:", { env: { TMPDIR: tempDir() } }),
    "npm run bench:events": (command) =>
      startsAndPrints(command, "10,000 updates", { env: { TMPDIR: tempDir() } }),
    "npm run bench:worker-auth": (command) =>
      startsAndPrints(command, "round 1 of", { env: { TMPDIR: tempDir() } }),
    "npm run bench:bulk": (command) =>
      startsAndPrints(command, "Bulk-interference benchmark:", { env: { TMPDIR: tempDir() } }),
    "npm run bench:dispatch": (command) =>
      startsAndPrints(command, "bench:dispatch —", { env: { TMPDIR: tempDir() } }),
    "npm run bench:shaman": (command) =>
      startsAndPrints(command, "Shaman benchmark", { env: { TMPDIR: tempDir() } }),
    "npm run reliability": async (command) => {
      const result = await run(`${command} -- --help`);
      expectSuccess(result);
      expect(result.output).toContain("Usage:");
    },
  };
  for (const [command, check] of Object.entries(cases)) {
    test(command, () => check(command), CASE_TIMEOUT_MS);
  }
  handled.push(...Object.keys(cases));
});

test("every npm and npx command of the README has a case here, and every case a command", () => {
  expect([...readme.commands].sort()).toEqual([...handled].sort());
});
