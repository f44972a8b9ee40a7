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
    const task = tasks[i];
    if (task === undefined) return `task ${i} of the job is missing`;
    const { uuid, name } = task;
    if (!UUID.test(uuid)) return `task "${name}" has an invalid UUID "${uuid}"`;
    if (indexOf.has(uuid)) return `task "${name}" (${uuid}) was added to the job more than once`;
    indexOf.set(uuid, i);
  }
  const edges = new Array<number[]>(tasks.length);
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i];
    if (task === undefined) continue; // reported above
    const deps = task.dependencies;
    const targets = new Array<number>(deps.length);
    for (let d = 0; d < deps.length; d++) {
      const dep = deps[d];
      const target = dep === undefined ? undefined : indexOf.get(dep);
      if (target === undefined) {
        return `task "${task.name}" depends on a task (${dep || "without UUID"}) that was not added to the job`;
      }
      targets[d] = target;
    }
    edges[i] = targets;
  }
  const cycle = findCycle(edges);
  return cycle && `dependency cycle: ${cycle.map((i) => `"${tasks[i]?.name}"`).join(" depends on ")}`;
}

/** Iterative depth-first search (a 10,000-task chain must not overflow the stack); a cycle as task indices. */
function findCycle(edges: number[][]): number[] | undefined {
  const ON_PATH = 1;
  const DONE = 2;
  const state = new Uint8Array(edges.length);
  /** How many of its edges each node on the path has followed (a node is on the path at most once). */
  const followed = new Uint32Array(edges.length);
  const path: number[] = [];
  for (let root = 0; root < edges.length; root++) {
    if (state[root] !== 0) continue;
    state[root] = ON_PATH;
    path.push(root);
    for (let node: number | undefined = root; node !== undefined;) {
      const edge = followed[node] ?? 0;
      followed[node] = edge + 1;
      const next = edges[node]?.[edge];
      if (next === undefined) {
        state[node] = DONE;
        path.pop();
        node = path[path.length - 1];
      } else if (state[next] === ON_PATH) {
        return [...path.slice(path.indexOf(next)), next];
      } else if (state[next] === 0) {
        state[next] = ON_PATH;
        path.push(next);
        node = next;
      }
    }
  }
  return undefined;
}
