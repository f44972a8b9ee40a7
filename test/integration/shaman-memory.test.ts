// A 2 GB upload to a real Manager process, its resident memory sampled throughout: uploads are
// streamed to disk, so the Manager's memory must not grow with the file.
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { killChildren, startManager } from "../support/processes";
import { tempDirs } from "../support/temp-dirs";
import { digestOf, patternBody, rawUpload } from "../manager/shaman/raw-upload";

afterAll(killChildren);
const tempDir = tempDirs("tablao-shaman-memory");

const UPLOAD_BYTES = 2 * 1024 ** 3;
const MAX_RSS_GROWTH_BYTES = 64 * 1024 ** 2;
const RSS_SAMPLE_INTERVAL_MS = 50;

function rssBytes(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) * 1024;
}

test("a 2 GB upload grows the Manager's memory by less than 64 MB", async () => {
  const manager = await startManager(tempDir(), { shaman: { enabled: true } });
  const pid = manager.proc.pid;
  const warmUp = patternBody(1024);
  const warm = rawUpload({
    url: manager.url,
    path: `/api/v3/shaman/files/${digestOf(warmUp, 1 << 20)}/${1 << 20}`,
    size: 1 << 20,
    chunk: warmUp,
  });
  expect((await warm.response).status).toBe(204);

  const chunk = patternBody();
  const sha = digestOf(chunk, UPLOAD_BYTES);
  const baseline = rssBytes(pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), RSS_SAMPLE_INTERVAL_MS);
  const started = performance.now();
  const up = rawUpload({
    url: manager.url,
    path: `/api/v3/shaman/files/${sha}/${UPLOAD_BYTES}`,
    size: UPLOAD_BYTES,
    chunk,
  });
  const { status } = await up.response;
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, rssBytes(pid));
  console.log(
    `2 GB upload: ${seconds.toFixed(1)} s (${(UPLOAD_BYTES / 1024 ** 2 / seconds).toFixed(0)} MiB/s); ` +
      `Manager RSS ${(baseline / 1024 ** 2).toFixed(0)} MiB before, peak ${(peak / 1024 ** 2).toFixed(0)} MiB ` +
      `(+${((peak - baseline) / 1024 ** 2).toFixed(1)} MiB)`,
  );
  expect(status).toBe(204);
  expect(peak - baseline).toBeLessThan(MAX_RSS_GROWTH_BYTES);
  await manager.stop();
}, 180_000);
