// The audit trail of the farm's operator and admin changes: who (name, how they proved it,
// from where) did what (operation and path parameters), on the Manager's log and as an `/audit`
// event. The access middleware records every successful change of an operator or admin route,
// so no handler can forget it.
import type { Clock } from "../../shared/clock";
import type { EventBroker } from "../events/broker";
import { auditEvent } from "../events/payloads";
import type { Principal } from "./principal";
import type { Role } from "./roles";

export interface AuditEntry {
  principal: Principal & { role: Role };
  /** The operationId, or `METHOD path` for routes outside the OpenAPI document. */
  operation: string;
  method: string;
  path: string;
  params: Record<string, string>;
  status: number;
}

export type Audit = (entry: AuditEntry) => void;

export function createAudit(deps: { broker: EventBroker; clock: Clock; log: (msg: string) => void }): Audit {
  return ({ principal, operation, method, path, params, status }) => {
    const where = principal.address || "an unknown address";
    const args = Object.entries(params)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    deps.log(
      `audit: ${principal.name || "anonymous"} (${principal.role} by ${principal.via}, from ${where}) ` +
        `${operation}${args ? ` ${args}` : ""}: ${method} ${path} answered ${status}`,
    );
    deps.broker.publish(
      auditEvent({
        time: deps.clock.now().toISOString(),
        operation,
        method,
        path,
        params,
        status,
        principal: {
          name: principal.name,
          role: principal.role,
          via: principal.via,
          address: principal.address,
        },
      }),
    );
  };
}
