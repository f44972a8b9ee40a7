// Which role each dashboard action needs, so that controls a role cannot use are hidden or
// disabled with a reason instead of failing with 403. The Manager enforces its own rules (each
// route's `x-tablao-access`); this mirrors them for the UI, with the Manager's role names.
import type { Role } from "./auth-api";

/** Each role may do what the roles ranked below it may. Keyed by Role, so it keeps up with the Manager's list. */
const RANK: Record<Role, number> = { viewer: 0, submitter: 1, operator: 2, admin: 3 };

/** Weakest first. */
export const ROLE_NAMES = (Object.keys(RANK) as Role[]).sort((a, b) => RANK[a] - RANK[b]);

export const ACTION_ROLES = {
  /** Status changes, priority, deletion and blocklist of jobs. */
  changeJobs: "operator",
  changeTasks: "operator",
  /** Status requests, tags and sleep schedules of workers. */
  changeWorkers: "operator",
  deleteWorkers: "admin",
  changeTags: "operator",
  manageTokens: "admin",
  /** The Settings page: reading and saving the Manager's configuration. */
  changeSettings: "admin",
  /** The Shaman page: the file store's size and garbage collection. */
  viewShaman: "operator",
} as const satisfies Record<string, Role>;

export type Action = keyof typeof ACTION_ROLES;

export function roleAllows(role: Role, action: Action): boolean {
  return RANK[role] >= RANK[ACTION_ROLES[action]];
}

/** The tooltip of a control the role may not use. */
export function deniedReason(action: Action): string {
  return `Needs the ${ACTION_ROLES[action]} role`;
}
