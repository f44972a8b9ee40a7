// A small, fast slice of the reliability suite (`bun run reliability`, see docs/reliability.md):
// each scenario against a real Manager process at a tiny scale, with the same checks as the full
// run. A failure here is a reliability regression; the full run finds the rarer ones.
import { afterAll, describe, expect, test } from "bun:test";
import { FUZZ_DEFAULTS, runFuzz } from "../../reliability/fuzz";
import { KILL9_DEFAULTS, runKill9 } from "../../reliability/kill9";
import { killAllManagers } from "../../reliability/manager-process";
import type { ScenarioResult } from "../../reliability/report";
import { WS_ABUSE_DEFAULTS, runWsAbuse } from "../../reliability/ws-abuse";

/** Fixed, so that a failure here can be repeated with `bun run reliability --seed 12`. */
const SEED = 12;
const SCENARIO_TIMEOUT_MS = 60_000;

afterAll(killAllManagers);

/** The failed checks, with the findings that explain them printed for whoever reads the test log. */
function failedChecks(r: ScenarioResult): string[] {
  const failed = r.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
  if (failed.length > 0) console.error(`${r.scenario} findings:\n${r.findings.join("\n")}`);
  return failed;
}

describe("reliability slice", () => {
  test(
    "kill-9: one SIGKILL under load loses nothing acknowledged",
    async () => {
      const r = await runKill9({
        ...KILL9_DEFAULTS,
        kills: 1,
        workers: 2,
        maxUpMs: 800,
        seed: SEED,
        keep: false,
      });
      expect(failedChecks(r)).toEqual([]);
      // The checks only mean something if the workers had things acknowledged before the kill.
      expect(r.figures.find(([label]) => label === "updates acknowledged")?.[1]).not.toBe("0");
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    "fuzz: 300 broken requests get no 5xx, no hang, no leak; huge bodies get 413",
    async () => {
      const r = await runFuzz({ ...FUZZ_DEFAULTS, requests: 300, seed: SEED, keep: false });
      expect(failedChecks(r)).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );

  test(
    "ws-abuse: 40 clients, 36 of them never reading, within the memory bound, the Manager answering throughout",
    async () => {
      const r = await runWsAbuse({
        ...WS_ABUSE_DEFAULTS,
        clients: 40,
        flowSeconds: 3,
        judgeLatency: false,
        seed: SEED,
        keep: false,
      });
      expect(failedChecks(r)).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );
});
