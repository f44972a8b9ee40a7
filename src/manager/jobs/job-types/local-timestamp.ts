// `formatTimestampLocal` for job-type scripts: a file-name-friendly local time stamp.

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** `YYYY-MM-DD_HHMMSS` in the Manager's local time zone, e.g. `2006-01-02_150405`. */
export function formatTimestampLocal(t: Date): string {
  if (Number.isNaN(t.getTime())) throw new Error("formatTimestampLocal: invalid time");
  const date = `${pad(t.getFullYear(), 4)}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}`;
  return `${date}_${pad(t.getHours())}${pad(t.getMinutes())}${pad(t.getSeconds())}`;
}
