// Checks a compiled task graph before it reaches the database: what Flamenco only discovers at
// insert time (a 500) or never (a dependency cycle deadlocks the job) becomes a clear error.
import type { CompiledTask } from "./types";

type GraphTask = Pick<CompiledTask, "uuid" | "name" | "dependencies">;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Returns a description of the first problem found, or undefined when the graph can be stored.
 * Indexed loops on purpose: the tasks may come from the script's realm, where iterators are slow.
 */
export function findTaskGraphProblem(tasks: GraphTask[]): string | undefined {
  const indexOf = new Map<string, number>();
  for (let i = 0; i < tasks.length; i++) {
    const { uuid, name } = tasks[i];
    if (!UUID.test(uuid)) return `task "${name}" has an invalid UUID "${uuid}"`;
    if (indexOf.has(uuid)) return `task "${name}" (${uuid}) was added to the job more than once`;
    indexOf.set(uuid, i);
  }
  const edges: number[][] = new Array(tasks.length);
  for (let i = 0; i < tasks.length; i++) {
    const deps = tasks[i].dependencies;
    const targets: number[] = new Array(deps.length);
    for (let d = 0; d < deps.length; d++) {
      const target = indexOf.get(deps[d]);
      if (target === undefined) {
        return `task "${tasks[i].name}" depends on a task (${deps[d] || "without UUID"}) that was not added to the job`;
      }
      targets[d] = target;
    }
    edges[i] = targets;
  }
  const cycle = findCycle(edges);
  return cycle && `dependency cycle: ${cycle.map((i) => `"${tasks[i].name}"`).join(" depends on ")}`;
}

/** Iterative depth-first search (a 10,000-task chain must not overflow the stack); a cycle as task indices. */
function findCycle(edges: number[][]): number[] | undefined {
  const ON_PATH = 1;
  const DONE = 2;
  const state = new Uint8Array(edges.length);
  const path: number[] = [];
  const nextEdge: number[] = [];
  for (let root = 0; root < edges.length; root++) {
    if (state[root] !== 0) continue;
    state[root] = ON_PATH;
    path.push(root);
    nextEdge.push(0);
    while (path.length > 0) {
      const top = path.length - 1;
      const node = path[top];
      const e = nextEdge[top]++;
      if (e >= edges[node].length) {
        state[node] = DONE;
        path.pop();
        nextEdge.pop();
        continue;
      }
      const next = edges[node][e];
      if (state[next] === ON_PATH) return [...path.slice(path.indexOf(next)), next];
      if (state[next] === 0) {
        state[next] = ON_PATH;
        path.push(next);
        nextEdge.push(0);
      }
    }
  }
  return undefined;
}
