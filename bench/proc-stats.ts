// What the benchmarks and the reliability suite read of a running process (the Manager under
// load) from Linux's /proc: its resident memory and the CPU time it, and each of its threads, used.
import { readdirSync, readFileSync } from "node:fs";

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

/** The name and CPU time (user + system, in seconds) in a `stat` file of /proc. */
function parseStat(stat: string): { name: string; cpuSeconds: number } {
  // Fields after the command name (which may contain spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return {
    name: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S,
  };
}

/** CPU time (user + system) `pid` has used so far, in seconds; NaN when it is gone. */
export function readCpuSeconds(pid: number): number {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, "utf8")).cpuSeconds;
  } catch {
    return Number.NaN;
  }
}

/** Each thread of `pid` by thread id (the main thread's is `pid`): its name and CPU seconds so far. */
export function readThreadCpuSeconds(pid: number): Map<string, { name: string; cpuSeconds: number }> {
  const threads = new Map<string, { name: string; cpuSeconds: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      threads.set(tid, parseStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8")));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return threads;
}
