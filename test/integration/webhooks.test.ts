// Webhooks end to end: a real Manager (HTTP, SQLite file) with a hook pointed at a real local
// receiver, while a scripted worker runs one job to completion and fails another; the delivery
// log and "send test" routes; secrets hidden from the settings API; a restart with deliveries
// still pending.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { z } from "zod";
import { signOnWorker, submitEchoJob } from "../support/browser";
import { startTestManager, type TestManager } from "../support/manager";
import { waitFor } from "../support/wait";
import { signatureValid, startReceiver, type Receiver } from "../manager/webhooks/receiver";

const SECRET = "integration-secret";
const WithUUID = z.object({ uuid: z.string() });
const Deliveries = z.object({
  deliveries: z.array(z.object({ event: z.string(), status: z.string(), attempts: z.number() })),
});

let receiver: Receiver;
let m: TestManager;

const webhookConfig = (url: string) => ({
  task_fail_after_softfail_count: 1,
  webhooks: [{ name: "ops", url, events: ["job.completed", "job.failed"], secret: SECRET }],
});

beforeAll(async () => {
  receiver = startReceiver();
  m = await startTestManager({ config: webhookConfig(receiver.url) });
});

afterAll(async () => {
  await m?.destroy();
  await receiver?.stop();
});

async function call(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as unknown };
}

/** Submits a one-task job and has a scripted worker end its task with `taskStatus`. */
async function runJob(base: string, name: string, taskStatus: "completed" | "failed"): Promise<string> {
  const job = await submitEchoJob(base, name, { sleepRepeats: 0 });
  const worker = await signOnWorker(base, `worker-${name}`);
  const task = WithUUID.parse(await (await worker.call("POST", "/task")).json());
  const update = await worker.call("POST", `/task/${task.uuid}`, { log: "done", taskStatus });
  expect(update.status).toBe(204);
  return job;
}

test("a completed job and a failed job each deliver exactly one signed webhook", async () => {
  const done = await runJob(m.url, "webhook-ok", "completed");
  const failed = await runJob(m.url, "webhook-fail", "failed");
  await waitFor(
    "the failure's delivery",
    () => receiver.received.some((r) => r.json.event === "job.failed"),
    15_000,
  );
  // One hook's deliveries go out in order: any second delivery of the first job would be here by now.
  expect(receiver.received.map((r) => [r.json.event, (r.json.job as { id: string }).id])).toEqual([
    ["job.completed", done],
    ["job.failed", failed],
  ]);
  for (const r of receiver.received) expect(signatureValid(r, SECRET)).toBe(true);
  expect(receiver.received[1]!.json.text).toStartWith('Job "webhook-fail" failed');
});

test("send test, the delivery log, and the hook's secret never shown", async () => {
  const before = receiver.received.length;
  const sent = await call(m.url, "POST", "/api/tablao/webhooks/ops/test");
  expect(sent).toMatchObject({
    status: 200,
    body: { event: "test", status: "delivered", response_status: 204 },
  });
  expect(receiver.received.length).toBe(before + 1);
  expect(signatureValid(receiver.received.at(-1)!, SECRET)).toBe(true);

  expect(await call(m.url, "POST", "/api/tablao/webhooks/nobody/test")).toMatchObject({
    status: 404,
    body: { code: 404, message: 'no webhook is named "nobody"' },
  });
  const log = Deliveries.parse((await call(m.url, "GET", "/api/tablao/webhooks/deliveries?hook=ops")).body);
  expect(log.deliveries.map((d) => [d.event, d.status])).toEqual([
    ["test", "delivered"],
    ["job.failed", "delivered"],
    ["job.completed", "delivered"],
  ]);
  expect((await call(m.url, "GET", "/api/tablao/webhooks/deliveries?limit=0")).status).toBe(400);

  // Read, save back unchanged: the placeholder keeps the stored secret.
  const settings = z
    .object({ file: z.record(z.string(), z.unknown()) })
    .parse((await call(m.url, "GET", "/api/tablao/settings")).body);
  expect(JSON.stringify(settings.file)).not.toContain(SECRET);
  const saved = await call(m.url, "PUT", "/api/tablao/settings", settings.file);
  expect(saved.status).toBe(200);
  await call(m.url, "POST", "/api/tablao/webhooks/ops/test");
  expect(signatureValid(receiver.received.at(-1)!, SECRET)).toBe(true);

  const bad = await call(m.url, "PUT", "/api/tablao/settings?dry_run=true", {
    ...settings.file,
    webhooks: [{ name: "x", url: "ftp://example.com/", events: ["job.exploded"] }],
  });
  expect(bad.status).toBe(400);
  expect(String((bad.body as { message: string }).message)).toContain("webhooks[0].url");
  expect(String((bad.body as { message: string }).message)).toContain("webhooks[0].events[0]");
});

test("deliveries queued while the receiver is down arrive after it returns, across a Manager restart", async () => {
  const away = startReceiver();
  await away.down();
  const first = await startTestManager({ config: webhookConfig(away.url) });
  try {
    const job = await runJob(first.url, "while-away", "completed");
    await waitFor(
      "a failed attempt",
      async () => {
        const log = Deliveries.parse((await call(first.url, "GET", "/api/tablao/webhooks/deliveries")).body);
        return log.deliveries[0]?.attempts === 1;
      },
      15_000,
    );
    await first.stop();

    away.up();
    const second = await startTestManager({ dir: first.dir, config: webhookConfig(away.url) });
    try {
      // The first retry is due 5 s after the failed attempt; the restarted Manager sends it then.
      await waitFor("the delivery after the restart", () => away.received.length === 1, 20_000);
      expect((away.received[0]!.json.job as { id: string }).id).toBe(job);
      expect(signatureValid(away.received[0]!, SECRET)).toBe(true);
    } finally {
      await second.stop();
    }
  } finally {
    await first.destroy();
    await away.stop();
  }
}, 60_000);
