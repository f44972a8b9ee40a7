// The Manager's access-control endpoints under /api/tablao: the browser session (sign in and
// out) and API tokens. Wire types are inferred from the Manager's schemas (type-only imports).
import type { z } from "zod";
import type { Role } from "../../manager/auth/roles";
import type * as schemas from "../../manager/api/schemas/auth";
import { request } from "../api";

export type { Role };
export type Session = z.infer<typeof schemas.TablaoSession>;
export type ApiToken = z.infer<typeof schemas.TablaoToken>;
export type NewToken = z.infer<typeof schemas.TablaoTokenRequest>;
export type CreatedToken = z.infer<typeof schemas.TablaoCreatedToken>;

const BASE = "/api/tablao";

async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
  return (await (await request(method, BASE + path, body)).json()) as T;
}

export const authApi = {
  session: () => json<Session>("GET", "/session"),
  signIn: (token: string) => json<Session>("POST", "/session", { token }),
  signOut: async () => void (await request("DELETE", `${BASE}/session`)),

  tokens: async () => (await json<{ tokens: ApiToken[] }>("GET", "/tokens")).tokens,
  /** The answer carries the secret in plaintext, this once. */
  createToken: (token: NewToken) => json<CreatedToken>("POST", "/tokens", token),
  revokeToken: async (tokenId: string) =>
    void (await request("DELETE", `${BASE}/tokens/${encodeURIComponent(tokenId)}`)),
};
