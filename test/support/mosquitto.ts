// A real mosquitto broker for tests and benchmarks: started on a free loopback port from a
// temp config, and stoppable/restartable on the same port to exercise reconnects. Sessions
// persist across restarts, so a subscriber with a persistent session misses nothing.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { freePort } from "./processes";

const MOSQUITTO_READY_TIMEOUT_MS = 10_000;
const MOSQUITTO_STOP_TIMEOUT_MS = 5_000;
const READY_POLL_INTERVAL_MS = 20;

export interface Mosquitto {
  readonly port: number;
  /** `mqtt://127.0.0.1:<port>` */
  readonly url: string;
  /** Whether the broker process is running. */
  readonly running: boolean;
  /** Starts the broker again on the same port (after `stop`). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the broker and removes its temp directory. */
  dispose(): Promise<void>;
}

function mosquittoBinary(): string {
  return (
    Bun.which("mosquitto") ??
    Bun.which("mosquitto", { PATH: "/usr/sbin:/usr/local/sbin" }) ??
    "/usr/sbin/mosquitto"
  );
}

async function accepts(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    socket.end();
    return true;
  } catch {
    return false;
  }
}

export async function startMosquitto(): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), "tablao-mosquitto-"));
  const port = freePort();
  const configPath = join(dir, "mosquitto.conf");
  writeFileSync(
    configPath,
    // Unbounded per-client queues: a test subscriber that falls behind must not lose messages.
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location ${dir}/\n` +
      "max_queued_messages 0\n",
  );
  let proc: Subprocess<"ignore", "ignore", "pipe"> | null = null;

  async function start(): Promise<void> {
    if (proc) throw new Error("mosquitto is already running");
    const deadline = Date.now() + MOSQUITTO_READY_TIMEOUT_MS;
    const p = Bun.spawn([mosquittoBinary(), "-c", configPath], {
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    });
    proc = p;
    let exited = false;
    void p.exited.then(() => (exited = true));
    while (!(await accepts(port))) {
      if (exited) {
        proc = null;
        const stderr = await new Response(p.stderr).text();
        throw new Error(`mosquitto exited with code ${p.exitCode} before listening on ${port}: ${stderr}`);
      }
      if (Date.now() > deadline) {
        await stop();
        throw new Error(
          `mosquitto did not accept connections on ${port} within ${MOSQUITTO_READY_TIMEOUT_MS} ms`,
        );
      }
      await Bun.sleep(READY_POLL_INTERVAL_MS);
    }
  }

  async function stop(): Promise<void> {
    const p = proc;
    if (!p) return;
    proc = null;
    p.kill("SIGTERM");
    const timer = setTimeout(() => p.kill("SIGKILL"), MOSQUITTO_STOP_TIMEOUT_MS);
    await p.exited;
    clearTimeout(timer);
  }

  await start();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    get running() {
      return proc !== null;
    },
    start,
    stop,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
