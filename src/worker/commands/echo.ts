// `echo`: writes its message to the task log.
import type { CommandFn } from "./context";
import { CommandParams } from "./params";

/** Go's `%v` for a JSON value: text as is, everything else as JSON. */
function formatValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export const echo: CommandFn = async (parameters, ctx) => {
  const message = new CommandParams("echo", parameters).requiredValue("message");
  ctx.log(`echo: ${JSON.stringify(formatValue(message))}`);
};
