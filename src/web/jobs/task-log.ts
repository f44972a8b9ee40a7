// The live tail of a task log: lines kept in a bounded buffer, fed by the REST tail and by
// `/tasklog` event chunks.

/** Lines kept in the browser; the full log is one link away. */
export const TASK_LOG_MAX_LINES = 1000;

export function splitLog(text: string): string[] {
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

export function appendLines(lines: readonly string[], chunk: string): string[] {
  const next = [...lines, ...splitLog(chunk)];
  return next.length > TASK_LOG_MAX_LINES ? next.slice(next.length - TASK_LOG_MAX_LINES) : next;
}

/**
 * Joins the fetched tail with chunks that arrived while it was being fetched, skipping chunks
 * the tail already contains.
 */
export function joinTail(tail: string, pending: readonly string[]): string[] {
  let lines = appendLines([], tail);
  for (const chunk of pending) if (!tail.includes(chunk)) lines = appendLines(lines, chunk);
  return lines;
}
