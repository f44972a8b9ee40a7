// `bun run server -- shaman-gc [--dry-run]`: one garbage-collection sweep of the Shaman file
// store, as the Manager runs periodically (src/manager/shaman/gc.ts), with the configured
// maximum age. With --dry-run it only lists what would go and how many bytes. It reads the file
// system alone (no database, no lock), so it may run while a Manager serves.
import { parseArgs } from "node:util";
import { systemClock } from "../../shared/clock";
import type { ManagerConfig } from "../config";
import { collectGarbage } from "../shaman/gc";
import { shamanLayout } from "../shaman/paths";

const USAGE = `Usage: npm run server -- [--config FILE] shaman-gc [--dry-run]

Deletes the Shaman blobs unused for longer than shaman.garbageCollect.maxAge that no checkout
links to, and prints them with their sizes. With --dry-run, deletes nothing.`;

export async function runShamanGcCommand(args: string[], config: ManagerConfig): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { "dry-run": { type: "boolean" }, help: { type: "boolean" } },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (config.sharedStoragePath === "") {
    console.error("shaman-gc: no shared_storage_path is configured, so there is no Shaman file store");
    return 1;
  }
  const dryRun = values["dry-run"] === true;
  const result = await collectGarbage({
    layout: shamanLayout(config.sharedStoragePath),
    now: systemClock.now(),
    maxAgeMs: config.shaman.gcMaxAgeMs,
    dryRun,
  });
  for (const blob of result.removed) console.log(`${blob.bytes}\t${blob.path}`);
  console.error(
    `${dryRun ? "would remove" : "removed"} ${result.removed.length} of ${result.blobs} blob(s), ` +
      `${result.removedBytes} bytes; ${result.kept} old blob(s) kept because a checkout uses them; ` +
      `unused since before ${result.threshold.toISOString()}`,
  );
  return 0;
}
