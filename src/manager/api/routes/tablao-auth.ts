// Route definitions (no handlers) of Tablao's own access-control API, under /api/tablao: who
// the caller is, logging in and out of the dashboard, and API tokens. Not part of Flamenco's
// contract (tag `tablao-auth`); the rules are in docs/security.md.
import { createRoute, z } from "@hono/zod-openapi";
import {
  TablaoCreatedToken,
  TablaoLogin,
  TablaoSession,
  TablaoTokenList,
  TablaoTokenRequest,
  emptyResponse,
  errorResponses,
  jsonResponse,
  uuidPathParam,
} from "../schemas";

const tags = ["tablao-auth"];
const SESSION_PATH = "/api/tablao/session";
const TOKENS_PATH = "/api/tablao/tokens";

export const getTablaoSession = createRoute({
  method: "get",
  path: SESSION_PATH,
  operationId: "getTablaoSession",
  "x-tablao-access": "public",
  tags,
  summary: "Say who the Manager takes the caller for",
  responses: {
    200: jsonResponse(TablaoSession, "The caller's role and how it was recognised."),
    ...errorResponses({ 401: "A bearer token was sent that is unknown, revoked or expired." }),
  },
});

export const createTablaoSession = createRoute({
  method: "post",
  path: SESSION_PATH,
  operationId: "createTablaoSession",
  "x-tablao-access": "public",
  tags,
  summary: "Log in with an API token",
  description:
    "Sets the `tablao_session` cookie (HttpOnly, SameSite=Strict; Secure over https). Requests " +
    "made with the cookie that are not GETs must send the returned `csrf_token` as `X-CSRF-Token`.",
  request: {
    body: { required: true, content: { "application/json": { schema: TablaoLogin } } },
  },
  responses: {
    200: jsonResponse(TablaoSession, "Logged in."),
    ...errorResponses({ 400: "The body is invalid.", 401: "The token is unknown, revoked or expired." }),
  },
});

export const deleteTablaoSession = createRoute({
  method: "delete",
  path: SESSION_PATH,
  operationId: "deleteTablaoSession",
  "x-tablao-access": "public",
  tags,
  summary: "Log out: end the session and clear its cookie",
  responses: {
    204: emptyResponse("Logged out (also when there was no session)."),
  },
});

export const fetchTablaoTokens = createRoute({
  method: "get",
  path: TOKENS_PATH,
  operationId: "fetchTablaoTokens",
  "x-tablao-access": "admin",
  tags,
  summary: "List the API tokens, without their secrets",
  responses: {
    200: jsonResponse(TablaoTokenList, "Every token."),
  },
});

export const createTablaoToken = createRoute({
  method: "post",
  path: TOKENS_PATH,
  operationId: "createTablaoToken",
  "x-tablao-access": "admin",
  tags,
  summary: "Create an API token; its secret is in this answer only",
  request: {
    body: { required: true, content: { "application/json": { schema: TablaoTokenRequest } } },
  },
  responses: {
    201: jsonResponse(TablaoCreatedToken, "The token, with its secret."),
    ...errorResponses({
      400: "The name, role or expiry is invalid.",
      409: "A token of that name exists already.",
    }),
  },
});

export const deleteTablaoToken = createRoute({
  method: "delete",
  path: `${TOKENS_PATH}/{token_id}`,
  operationId: "deleteTablaoToken",
  "x-tablao-access": "admin",
  tags,
  summary: "Revoke an API token and end its sessions",
  request: {
    params: z.object({ token_id: uuidPathParam("token_id", "The token's `id`.") }),
  },
  responses: {
    204: emptyResponse("The token is revoked."),
    ...errorResponses({ 400: "The ID is not a UUID.", 404: "There is no token with this ID." }),
  },
});
