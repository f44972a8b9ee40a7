// `exec`: runs any program with arguments (no shell); success is exit code 0.
import type { CommandFn } from "./context";
import { CommandParams } from "./params";
import { runSubprocess } from "./subprocess";

export const exec: CommandFn = async (parameters, ctx) => {
  const params = new CommandParams("exec", parameters);
  const argv = [params.requiredString("exe"), ...params.stringList("args")];
  await runSubprocess({ argv, ctx });
};
