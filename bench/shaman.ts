// Shaman benchmark: a real Manager process with Shaman on, its shared storage in a temp folder.
// Measures upload throughput for one 1 GiB file and for 10,000 files of 10 KiB (8 clients in
// parallel), each against writing the same bytes to the same disk in the same run (new files,
// flushed to disk like Shaman's blobs), and the time to check out the 10,000 files.
// Client-side hashing is done before the clock starts. The machine may be shared: run it on a
// quiet one for figures to compare.
// Run: `bun run bench:shaman` (about a minute).
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killChildren, startManager } from "../test/support/processes";
import { shamanClient, type Spec } from "../test/manager/shaman/addon-client";
import { digestOf, patternBody, rawUpload } from "../test/manager/shaman/raw-upload";
import { formatTable } from "./report";

const BIG_FILE_BYTES = 1024 ** 3;
const SMALL_FILES = 10_000;
const SMALL_FILE_BYTES = 10 * 1024;
const CLIENTS = 8;
const MIB = 1024 ** 2;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

/** Writes `size` bytes made by `chunk` to a new file and flushes it, as Shaman stores a blob. */
async function writeFlushed(path: string, size: number, chunk: (offset: number, max: number) => Uint8Array) {
  const file = await open(path, "wx", 0o666);
  try {
    for (let offset = 0; offset < size;) {
      const piece = chunk(offset, Math.min(MIB, size - offset));
      await file.write(piece);
      offset += piece.byteLength;
    }
    await file.datasync();
  } finally {
    await file.close();
  }
}

/** Runs `task(i)` for i in [0, count) on `parallel` lanes. */
async function lanes(count: number, parallel: number, task: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "tablao-bench-shaman-"));
  console.log(
    `Shaman benchmark: one ${BIG_FILE_BYTES / 2 ** 30} GiB upload and ${SMALL_FILES} uploads of ${SMALL_FILE_BYTES / 1024} KiB ` +
      `vs. writing the same bytes to ${dir}, then a checkout of ${SMALL_FILES} files`,
  );
  try {
    const manager = await startManager(dir, { shaman: { enabled: true, garbageCollect: { period: "0s" } } });
    const client = shamanClient(manager.url);
    const rows: string[][] = [];
    const plain = join(dir, "plain");
    mkdirSync(plain);

    // One big file.
    const bigChunk = patternBody();
    const bigSha = digestOf(bigChunk, BIG_FILE_BYTES);
    const bigPlain = await timed(() => writeFlushed(join(plain, "big"), BIG_FILE_BYTES, bigChunk));
    const bigShaman = await timed(async () => {
      const up = rawUpload({
        url: manager.url,
        path: `/api/v3/shaman/files/${bigSha}/${BIG_FILE_BYTES}`,
        size: BIG_FILE_BYTES,
        chunk: bigChunk,
      });
      const { status } = await up.response;
      if (status !== 204) throw new Error(`big upload answered ${status}`);
    });
    const mibps = (bytes: number, s: number) => (bytes / MIB / s).toFixed(0);
    rows.push([
      "1 × 1 GiB",
      `${bigShaman.toFixed(2)} s`,
      `${mibps(BIG_FILE_BYTES, bigShaman)} MiB/s`,
      `${bigPlain.toFixed(2)} s`,
      `${mibps(BIG_FILE_BYTES, bigPlain)} MiB/s`,
      (bigPlain / bigShaman).toFixed(2),
    ]);

    // Many small files.
    const smalls = Array.from({ length: SMALL_FILES }, () =>
      crypto.getRandomValues(new Uint8Array(SMALL_FILE_BYTES)),
    );
    const specs: Spec[] = smalls.map((data, i) => ({
      sha: createHash("sha256").update(data).digest("hex"),
      size: data.byteLength,
      path: `assets/${String(i % 100).padStart(2, "0")}/file-${i}.bin`,
    }));
    const smallPlain = await timed(() =>
      lanes(SMALL_FILES, CLIENTS, (i) =>
        writeFlushed(join(plain, `small-${i}`), SMALL_FILE_BYTES, () => smalls[i]!),
      ),
    );
    const smallShaman = await timed(() =>
      lanes(SMALL_FILES, CLIENTS, async (i) => {
        const status = await client.upload(specs[i]!, smalls[i]!, false);
        if (status !== 204) throw new Error(`small upload answered ${status}`);
      }),
    );
    const smallBytes = SMALL_FILES * SMALL_FILE_BYTES;
    rows.push([
      `${SMALL_FILES} × 10 KiB`,
      `${smallShaman.toFixed(2)} s`,
      `${mibps(smallBytes, smallShaman)} MiB/s`,
      `${smallPlain.toFixed(2)} s`,
      `${mibps(smallBytes, smallPlain)} MiB/s`,
      (smallPlain / smallShaman).toFixed(2),
    ]);

    const checkout = await timed(async () => {
      const result = await client.checkout("bench/checkout", specs);
      if (result.checkoutPath !== "bench/checkout") throw new Error(`checkout at ${result.checkoutPath}`);
    });
    await manager.stop();

    console.log(
      formatTable(
        ["upload", "Shaman", "Shaman rate", "plain write", "plain rate", "Shaman ÷ plain throughput"],
        rows,
        1,
      ),
    );
    console.log(
      `\ncheckout of ${SMALL_FILES} files (symbolic links in 100 folders): ${checkout.toFixed(2)} s`,
    );
  } finally {
    await killChildren();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
