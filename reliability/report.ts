// What every scenario hands back (figures to report, checks that pass or fail, findings worth a
// human's attention) and how the runner prints them: one table of figures, one of checks.
import { formatTable } from "../bench/report";

export interface Check {
  name: string;
  ok: boolean;
  /** What was measured, e.g. "3 of 1,204 lines missing"; says why when it failed. */
  detail: string;
}

export interface ScenarioResult {
  scenario: string;
  /** Label and value, in the order they should be printed. */
  figures: [string, string][];
  checks: Check[];
  /** Failures and oddities with what reproduces them (first request, situation, log tail). */
  findings: string[];
  /** The scenario's temp folder when it was kept (failed checks, or --keep). */
  keptFolder?: string;
}

export const fmt = {
  /** A count with thousands separators. */
  n: (v: number) => Math.round(v).toLocaleString("en"),
  /** Milliseconds with one decimal. */
  ms: (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : "-"),
  mb: (bytes: number) => (Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : "-"),
};

export function check(name: string, ok: boolean, detail: string): Check {
  return { name, ok, detail };
}

/**
 * A scenario's result. Its temp folder is removed unless a check failed (then it holds the
 * evidence: the Manager's output, its database) or `keep` asks to keep it.
 */
export function conclude(
  scenario: string,
  folder: { root: string; remove(): void },
  keep: boolean,
  parts: { figures: [string, string][]; checks: Check[]; findings: string[] },
): ScenarioResult {
  const kept = keep || parts.checks.some((c) => !c.ok);
  if (!kept) folder.remove();
  return { scenario, ...parts, ...(kept ? { keptFolder: folder.root } : {}) };
}

export function formatResults(results: readonly ScenarioResult[]): string {
  const figures = results.flatMap((r) => r.figures.map(([label, value]) => [r.scenario, label, value]));
  const checks = results.flatMap((r) =>
    r.checks.map((c) => [r.scenario, c.name, c.ok ? "ok" : "FAILED", c.detail]),
  );
  return [
    formatTable(["scenario", "figure", "value"], figures, 3),
    "",
    formatTable(["scenario", "check", "result", "detail"], checks, 4),
  ].join("\n");
}

export function formatFindings(results: readonly ScenarioResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    for (const f of r.findings) lines.push(`[${r.scenario}] ${f}`);
    if (r.keptFolder) lines.push(`[${r.scenario}] files kept in ${r.keptFolder}`);
  }
  return lines.join("\n");
}
