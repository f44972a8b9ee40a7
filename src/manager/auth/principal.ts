// Who is calling the manager API, as the access-control middleware resolved it for a request.
import type { Role } from "./roles";

export interface Principal {
  /** The role granted to this request; null when the caller has none (untrusted, no credentials). */
  role: Role | null;
  /** For the audit log: the token's name, or the client address for network trust. */
  name: string;
  via: "token" | "session" | "network" | "none";
  /** The client's address after trusted proxies; "" when unknown (requests made in-process). */
  address: string;
}
