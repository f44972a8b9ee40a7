// The roles a caller of the manager API can hold, weakest first; each role includes the ones
// before it. Workers are not in this list: they authenticate with their own credentials.
export const ROLES = ["viewer", "submitter", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** True when `held` includes everything `required` may do. */
export function roleIncludes(held: Role, required: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(required);
}
