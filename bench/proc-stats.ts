// What the benchmarks and the reliability suite read of a running process (the Manager under
// load) from Linux's /proc: its resident memory and the CPU time it has used.
import { readFileSync } from "node:fs";

/** Linux reports process CPU time in clock ticks of 1/100 s (USER_HZ) on every common platform. */
const CLOCK_TICKS_PER_S = 100;

/** VmRSS of `pid` in bytes, or NaN when the process is gone. */
export function readRssBytes(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? Number.NaN : Number(kb) * 1024;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system) `pid` has used so far, in seconds; NaN when it is gone. */
export function readCpuSeconds(pid: number): number {
  try {
    // Fields after the command name (which may contain spaces): state is field 3, utime 14, stime 15.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return Number.NaN;
  }
}
