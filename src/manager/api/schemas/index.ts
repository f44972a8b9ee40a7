// The wire contract's component schemas, by area, plus the lists of components that no
// route references (so the OpenAPI document generator registers them explicitly).
import type { ZodType } from "zod";
import { SecurityError } from "./common";
import { eventSchemas } from "./events";
import { JobsQuery } from "./jobs";

export * from "./auth";
export * from "./common";
export * from "./events";
export * from "./jobs";
export * from "./meta";
export * from "./responses";
export * from "./shaman";
export * from "./workers";

/**
 * Every component no route pulls in, for registration by name: the event payloads, plus two
 * schemas Flamenco defines without using them on a route.
 */
export const standaloneSchemas: ReadonlyArray<{ name: string; schema: ZodType }> = [
  ...eventSchemas,
  { name: "JobsQuery", schema: JobsQuery },
  { name: "SecurityError", schema: SecurityError },
];
