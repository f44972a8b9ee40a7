// Wire schemas of Tablao's own access-control API (`/api/tablao/...`, tag `tablao-auth`):
// the caller's session, logging in, and API tokens. Not part of Flamenco's contract.
import { z } from "@hono/zod-openapi";
import { ROLES } from "../../auth/roles";
import { dateTime, uuid } from "./common";

export const TablaoRole = z
  .enum(ROLES)
  .openapi("TablaoRole", { description: "A caller's role; each includes the ones before it." });

export const TablaoPrincipalVia = z
  .enum(["token", "session", "network", "none"])
  .openapi("TablaoPrincipalVia", {
    description:
      "How the caller was recognised: a bearer token, a session cookie, the trusted network it " +
      "calls from, or not at all.",
  });

export const TablaoSession = z
  .object({
    role: TablaoRole.nullable().openapi({ description: "null when the caller may only use public routes." }),
    name: z.string().openapi({ description: "The token's name, or the address for network trust." }),
    via: TablaoPrincipalVia,
    csrf_token: z.string().optional().openapi({
      description:
        "Only for a session: send it as the `X-CSRF-Token` header with every request that is not a GET.",
    }),
  })
  .openapi("TablaoSession", { description: "Who the Manager takes the caller for." });

export const TablaoLogin = z
  .object({ token: z.string().min(1).openapi({ description: "An API token (`tablao_...`)." }) })
  .openapi("TablaoLogin", { description: "Log in with an API token; the answer sets the session cookie." });

export const TablaoToken = z
  .object({
    id: uuid(),
    name: z.string(),
    role: TablaoRole,
    created_at: dateTime(),
    last_used_at: dateTime().nullable().openapi({ description: "Stamped at most once a minute." }),
    expires_at: dateTime().nullable(),
  })
  .openapi("TablaoToken", { description: "An API token, without its secret." });

export const TablaoTokenList = z
  .object({ tokens: z.array(TablaoToken) })
  .openapi("TablaoTokenList", { description: "Every API token, oldest first." });

export const TablaoTokenRequest = z
  .object({
    name: z.string().openapi({
      description: "Unique; 1 to 64 letters, digits, `.`, `_`, `@` or `-`, starting with a letter or digit.",
    }),
    role: TablaoRole,
    expires_at: dateTime().optional().openapi({ description: "Must be in the future; never when absent." }),
  })
  .openapi("TablaoTokenRequest", { description: "A token to create." });

export const TablaoCreatedToken = TablaoToken.extend({
  token: z.string().openapi({ description: "The secret: shown this once, stored only as a hash." }),
}).openapi("TablaoCreatedToken", { description: "A new API token with its secret." });
