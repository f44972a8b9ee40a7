// Wire schemas about the Manager itself: version, farm status, configuration, variables,
// shared storage, and the setup assistant's path checks.
import { z } from "@hono/zod-openapi";

export const FlamencoVersion = z
  .object({
    version: z.string().openapi({
      description: "Version for display; for non-release builds it includes the git description.",
    }),
    shortversion: z.string().openapi({ description: "Bare version number." }),
    name: z.string().openapi({ description: "Configured name of this Manager." }),
    git: z.string().openapi({ description: "Git description of the build." }),
  })
  .openapi("FlamencoVersion", { description: "Identifies the server as a Flamenco-compatible Manager." });

export const FarmStatus = z
  .enum(["active", "idle", "waiting", "asleep", "inoperative", "unknown", "starting"])
  .openapi("FarmStatus", {
    description:
      "Overall farm state: `active` (work is being done), `idle` (nothing to do), `waiting` " +
      "(work queued but nobody can take it now), `asleep` (idle, all workers asleep), " +
      "`inoperative` (no usable workers), `unknown`, `starting` (not computed yet).",
  });

export const FarmStatusReport = z
  .object({ status: FarmStatus })
  .openapi("FarmStatusReport", { description: "The most recently computed farm status." });

export const ManagerConfiguration = z
  .object({
    storageLocation: z.string().openapi({ description: "Directory where job files are stored." }),
    shamanEnabled: z.boolean().openapi({ description: "Whether the Shaman upload API is running." }),
    isFirstRun: z.boolean().openapi({
      description: "True while the Manager still needs the setup assistant (no usable configuration yet).",
    }),
  })
  .openapi("ManagerConfiguration", { description: "The parts of the configuration the web app needs." });

export const ManagerVariableAudience = z
  .enum(["workers", "users"])
  .openapi("ManagerVariableAudience", { description: "Who the variable values are resolved for." });

export const ManagerVariable = z
  .object({
    value: z.string(),
    is_twoway: z.boolean().openapi({
      description:
        "Two-way variables are also applied in reverse at job submission, turning a " +
        "platform-specific path prefix back into `{name}`; one-way variables only expand " +
        "`{name}` when a task is handed to a worker.",
    }),
  })
  .openapi("ManagerVariable", { description: "One resolved variable." });

export const ManagerVariables = z
  .record(z.string(), ManagerVariable)
  .openapi("ManagerVariables", { description: "Variables by name." });

export const SharedStorageLocation = z
  .object({
    location: z
      .string()
      .openapi({ description: "Shared storage path as seen by this audience and platform." }),
    audience: ManagerVariableAudience,
    platform: z.string(),
    shamanEnabled: z.boolean().openapi({ description: "Whether the Shaman upload API is running." }),
  })
  .openapi("SharedStorageLocation", {
    description: "Shared storage path, translated with two-way variables for one audience and platform.",
  });

export const PathCheckInput = z
  .object({ path: z.string() })
  .openapi("PathCheckInput", { description: "A filesystem path or command to check." });

export const PathCheckResult = z
  .object({
    path: z.string().openapi({ description: "The path as checked." }),
    is_usable: z.boolean().openapi({ description: "Whether the path can be used." }),
    cause: z.string().openapi({ description: "Why the path is usable or not." }),
  })
  .openapi("PathCheckResult", { description: "Outcome of a shared-storage path check." });

export const BlenderPathSource = z
  .enum(["file_association", "path_envvar", "system_location", "input_path", "default"])
  .openapi("BlenderPathSource", {
    description:
      "How Blender was located: via the `.blend` file association, a lookup on `PATH`, a " +
      "platform-specific install location, the given path itself, or the plain default command.",
  });

export const BlenderPathCheckResult = z
  .object({
    input: z.string().openapi({ description: "What the search started from." }),
    path: z.string().openapi({ description: "Where Blender was found." }),
    source: BlenderPathSource,
    is_usable: z.boolean().openapi({ description: "Whether this Blender can be used." }),
    cause: z.string().openapi({ description: "Why it is usable or not (e.g. its version line)." }),
  })
  .openapi("BlenderPathCheckResult", {
    description: "Outcome of looking for or checking a Blender executable.",
  });

export const BlenderPathFindResult = z
  .array(BlenderPathCheckResult)
  .openapi("BlenderPathFindResult", { description: "All Blender executables that were found." });

export const SetupAssistantConfig = z
  .object({
    storageLocation: z.string().openapi({ description: "Directory to use for job storage." }),
    blenderExecutable: BlenderPathCheckResult,
  })
  .openapi("SetupAssistantConfig", { description: "Choices made in the setup assistant." });

export const ConfigurationFile = z
  .record(z.string(), z.unknown())
  .openapi({ description: "The whole Manager configuration, keyed like `flamenco-manager.yaml`." });
