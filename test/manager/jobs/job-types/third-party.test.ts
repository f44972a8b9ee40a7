// A third-party-style script (fixtures/third-party) compiled through the registry, pinning the
// whole task graph and the settings/metadata it leaves behind.
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { systemClock } from "../../../../src/shared/clock";
import { SettingsError, createJobTypeRegistry } from "../../../../src/manager/jobs/job-types";
import { computeEtag } from "../../../../src/manager/jobs/job-types/etag";
import { submission, taskGraph } from "./support";

const logs: string[] = [];
const registry = createJobTypeRegistry({
  scriptsDir: join(import.meta.dir, "fixtures", "third-party"),
  clock: { ...systemClock, now: () => new Date(2024, 2, 5, 7, 8, 9) },
  log: (level, msg) => logs.push(`${level}: ${msg}`),
});
afterAll(() => registry.close());

const OUT = "R:/shots/passes/SH010_2024-03-05_070809";
const BLENDFILE = "R:\\shots\\sh010.flamenco.blend";

function render(pass: string, chunk: string, priority: number, steps: number) {
  return {
    name: `${pass}-${chunk}`,
    type: "blender",
    priority,
    commands: [
      {
        name: "blender-render",
        parameters: {
          exe: "{blender}",
          blendfile: BLENDFILE,
          args: [
            "--threads",
            "4",
            "--engine",
            "CYCLES",
            "--python-expr",
            `import bpy; bpy.context.view_layer.name = '${pass}'`,
            "--render-output",
            `${OUT}/${pass}/######`,
            "--render-frame",
            chunk.replaceAll("-", ".."),
          ],
        },
        total_step_count: steps,
      },
    ],
    dependsOn: [],
  };
}

test("listed next to the built-ins, its helper folder ignored", async () => {
  const types = await registry.list();
  expect(types.map((t) => t.name)).toEqual(["echo-sleep-test", "multi-pass-render", "simple-blender-render"]);
  const multiPass = types[1];
  if (!multiPass) throw new Error("multi-pass-render is not listed");
  expect(multiPass.description).toBe("Render passes separately & composite them");
  const { etag, ...withoutEtag } = multiPass;
  expect(etag).toBe(computeEtag(withoutEtag));
});

test("the full graph, settings and metadata after compilation", async () => {
  logs.length = 0;
  const job = await registry.compile(
    submission(
      "multi-pass-render",
      { frames: "1-3", blendfile: BLENDFILE, blender_args: "--threads 4 --engine 'CYCLES'", notes: "" },
      { name: "shot 10", metadata: { "user.name": "Ada" } },
    ),
  );
  expect(taskGraph(job)).toEqual([
    render("beauty", "1,2", 60, 2),
    render("beauty", "3", 60, 1),
    render("mist", "1,2", 40, 2),
    render("mist", "3", 40, 1),
    {
      name: "composite",
      type: "blender",
      priority: 70,
      commands: [
        {
          name: "exec",
          parameters: { exe: "oiiotool", args: [`${OUT}/beauty`, `${OUT}/mist`] },
          total_step_count: 0,
        },
      ],
      dependsOn: ["beauty-1,2", "beauty-3", "mist-1,2", "mist-3"],
    },
    {
      name: "cleanup",
      type: "file-management",
      priority: 50,
      commands: [{ name: "remove-tree", parameters: { path: `${OUT}/tmp` }, total_step_count: 0 }],
      dependsOn: ["composite"],
    },
  ]);
  // Defaults filled in by the settings check; blender_args and the empty notes deleted by the script.
  expect(job.settings).toEqual({ frames: "1-3", blendfile: BLENDFILE, chunk_size: 2, passes: "beauty+mist" });
  expect(job.metadata).toEqual({ "user.name": "Ada", "render.shot": "SH010", "render.output": OUT });
  expect(logs).toEqual([
    "info: job-type script multi_pass_render.js: multi-pass render of SH010 with 4 extra arguments",
    "warn: job-type script multi_pass_render.js: no notes given for shot 10",
  ]);
});

test("one pass only, without extra arguments, keeps the given notes", async () => {
  const job = await registry.compile(
    submission("multi-pass-render", {
      frames: "5",
      blendfile: BLENDFILE,
      passes: "beauty",
      notes: "check the hair",
    }),
  );
  expect(job.tasks.map((t) => t.name)).toEqual(["beauty-5", "composite", "cleanup"]);
  expect(job.tasks[0]?.commands[0]?.parameters).toMatchObject({
    args: [
      "--python-expr",
      expect.any(String),
      "--render-output",
      `${OUT}/beauty/######`,
      "--render-frame",
      "5",
    ],
  });
  expect(job.settings.notes).toBe("check the hair");
});

test("a value outside the choices is rejected before the script runs", async () => {
  const err = await registry
    .compile(submission("multi-pass-render", { frames: "1", blendfile: "x", passes: "mist" }))
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SettingsError);
  expect(err).toHaveProperty("message", 'passes: expected one of "beauty", "beauty+mist", got "mist"');
});
