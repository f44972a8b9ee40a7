// What each route asks of its caller, as declared beside the route: the OpenAPI extension
// fields `x-tablao-access` and `x-tablao-max-body-bytes` of the route definitions, read once
// when the route is registered, so the declaration and what is enforced cannot drift apart.
import { ROLES, type Role } from "./roles";

export const ACCESS_FIELD = "x-tablao-access";
export const MAX_BODY_FIELD = "x-tablao-max-body-bytes";

/**
 * `public`: anyone; `worker`: a registered worker's basic auth (src/manager/api/worker-auth.ts);
 * a role: a caller holding that role or a stronger one.
 */
export type Access = "public" | "worker" | Role;
const ACCESS_LEVELS: readonly Access[] = ["public", "worker", ...ROLES];

function isAccess(value: unknown): value is Access {
  return typeof value === "string" && (ACCESS_LEVELS as readonly string[]).includes(value);
}

/** One (method, path) the Manager serves and who may call it; paths in Hono's `:param` syntax. */
export interface ServedRoute {
  method: string;
  path: string;
  access: Access;
}

/** A route as its guard sees it: where it is, who may call it, and its name for the audit. */
export interface GuardedRoute extends ServedRoute {
  operationId?: string;
}

export interface RouteDeclaration {
  access: Access;
  /** Absent: the default limit for request bodies. */
  maxBodyBytes?: number;
}

/** A route's declared access and body limit; throws, naming the route, when either is missing or wrong. */
export function routeDeclaration(route: {
  method: string;
  path: string;
  operationId?: string;
  [field: string]: unknown;
}): RouteDeclaration {
  const name = route.operationId ?? `${route.method.toUpperCase()} ${route.path}`;
  const access = route[ACCESS_FIELD];
  if (!isAccess(access)) {
    throw new Error(
      `route ${name} must declare "${ACCESS_FIELD}" as one of ${ACCESS_LEVELS.join(", ")}, got ${JSON.stringify(access)}`,
    );
  }
  const maxBodyBytes = route[MAX_BODY_FIELD];
  if (maxBodyBytes === undefined) return { access };
  if (typeof maxBodyBytes !== "number" || !Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw new Error(`route ${name}: "${MAX_BODY_FIELD}" must be a positive whole number of bytes`);
  }
  return { access, maxBodyBytes };
}
