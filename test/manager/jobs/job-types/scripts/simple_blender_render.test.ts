import { afterAll, expect, test } from "bun:test";
import { systemClock } from "../../../../../src/shared/clock";
import {
  JobTypeError,
  SettingsError,
  createJobTypeRegistry,
} from "../../../../../src/manager/jobs/job-types";
import { submission, taskGraph } from "../support";

// Local time, so the expected time stamp does not depend on the machine's time zone.
const CREATED = new Date(2006, 0, 2, 15, 4, 5);
const registry = createJobTypeRegistry({
  scriptsDir: null,
  clock: { ...systemClock, now: () => CREATED },
  log: () => {},
});
afterAll(() => registry.close());

const PYTHON_EXPR =
  "import bpy; r = bpy.context.scene.render; r.use_file_extension = True; r.use_overwrite = False; r.use_placeholder = False";
const OUTPUT_DIR = "/render/sprites/farm_output/promo/square_ellie/square_ellie.lighting_light_breakdown2";

/** Flamenco's example submission (job_compilers_test.go), with the settings its 3.9 JOB_TYPE requires. */
function settings(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    blendfile: "/render/sf/jobs/scene123.blend",
    chunk_size: 3,
    format: "PNG",
    fps: 24.0,
    frames: "1-10",
    image_file_extension: ".png",
    render_output_root: "/render/sprites/farm_output/promo/square_ellie",
    add_path_components: 1,
    render_output_path: `${OUTPUT_DIR}/######`,
    has_previews: false,
    scene: "Scene",
    ...overrides,
  };
}

function renderTask(
  chunk: string,
  steps: number,
  opts: { output?: string; blendfile?: string; scene?: string } = {},
) {
  return {
    name: `render-${chunk}`,
    type: "blender",
    priority: 50,
    commands: [
      {
        name: "blender-render",
        parameters: {
          exe: "{blender}",
          exeArgs: "{blenderArgs}",
          argsBefore: [],
          blendfile: opts.blendfile ?? "/render/sf/jobs/scene123.blend",
          args: [
            ...(opts.scene === "" ? [] : ["--scene", opts.scene ?? "Scene"]),
            "--python-expr",
            PYTHON_EXPR,
            "--render-output",
            opts.output ?? `${OUTPUT_DIR}/######`,
            "--render-format",
            "PNG",
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

function videoTask(
  dependsOn: string[],
  opts: { dir?: string; glob?: string; output?: string; fps?: number } = {},
) {
  const dir = opts.dir ?? OUTPUT_DIR;
  const fps = opts.fps ?? 24;
  return {
    name: "preview-video",
    type: "ffmpeg",
    priority: 50,
    commands: [
      {
        name: "frames-to-video",
        parameters: {
          exe: "ffmpeg",
          fps,
          inputGlob: `${dir}/${opts.glob ?? "*.png"}`,
          outputFile: `${dir}/${opts.output ?? "scene123-1-10.mp4"}`,
          args: [
            "-c:v",
            "h264",
            "-crf",
            "20",
            "-g",
            "18",
            "-vf",
            "pad=ceil(iw/2)*2:ceil(ih/2)*2",
            "-pix_fmt",
            "yuv420p",
            "-r",
            fps,
            "-y",
          ],
        },
        total_step_count: 0,
      },
    ],
    dependsOn,
  };
}

test("the JOB_TYPE matches Flamenco's, etag included", async () => {
  const jobType = await registry.get("simple-blender-render");
  expect(jobType.etag).toBe("6f6b4fce9301252a6ab4a9a213a2f0ad447eccd5");
  expect(jobType.label).toBe("Simple Blender Render");
  expect(jobType.settings!.map((s) => s.key)).toEqual([
    "frames",
    "chunk_size",
    "render_output_root",
    "add_path_components",
    "render_output_path",
    "blendfile",
    "fps",
    "format",
    "image_file_extension",
    "has_previews",
    "scene",
  ]);
});

test("frames 1-10 in chunks of 3: four render tasks and a preview video depending on all of them", async () => {
  const job = await registry.compile(submission("simple-blender-render", settings()));
  expect(taskGraph(job)).toEqual([
    renderTask("1-3", 3),
    renderTask("4-6", 3),
    renderTask("7-9", 3),
    renderTask("10", 1),
    videoTask(["render-1-3", "render-4-6", "render-7-9", "render-10"]),
  ]);
  expect(job.settings).toEqual(settings());
});

test("a complex frame range: chunks cross range boundaries, the video is named first-last", async () => {
  const job = await registry.compile(
    submission("simple-blender-render", settings({ frames: "0-12,34-56,78-90", chunk_size: 20 })),
  );
  expect(taskGraph(job)).toEqual([
    renderTask("0-12,34-40", 20),
    renderTask("41-56,78-81", 20),
    renderTask("82-90", 9),
    videoTask(["render-0-12,34-40", "render-41-56,78-81", "render-82-90"], { output: "scene123-0-90.mp4" }),
  ]);
});

test("{timestamp} is filled in, other fields are kept, and the result is stored in the settings", async () => {
  const job = await registry.compile(
    submission(
      "simple-blender-render",
      settings({ frames: "1", render_output_path: "{render}/{timestamp}/jobname/######" }),
    ),
  );
  const dir = "{render}/2006-01-02_150405/jobname";
  expect(job.settings.render_output_path).toBe(`${dir}/######`);
  expect(taskGraph(job)).toEqual([
    renderTask("1", 1, { output: `${dir}/######` }),
    videoTask(["render-1"], { dir, output: "scene123-1.mp4" }),
  ]);
});

test("Windows paths: blendfile kept as submitted, constructed paths use forward slashes", async () => {
  const job = await registry.compile(
    submission(
      "simple-blender-render",
      settings({
        blendfile: "R:\\sf\\jobs\\scene123.flamenco.blend",
        render_output_path: "R:\\sprites\\farm_output\\shot\\######",
        chunk_size: 10,
      }),
    ),
  );
  expect(taskGraph(job)).toEqual([
    renderTask("1-10", 10, {
      blendfile: "R:\\sf\\jobs\\scene123.flamenco.blend",
      output: "R:/sprites/farm_output/shot/######",
    }),
    videoTask(["render-1-10"], { dir: "R:/sprites/farm_output/shot" }),
  ]);
});

test("EXR: no video without previews, a video from the JPEG previews with them", async () => {
  const withoutPreviews = await registry.compile(
    submission("simple-blender-render", settings({ format: "OPEN_EXR", chunk_size: 10 })),
  );
  expect(withoutPreviews.tasks.map((t) => t.name)).toEqual(["render-1-10"]);
  const withPreviews = await registry.compile(
    submission(
      "simple-blender-render",
      settings({ format: "EXR", chunk_size: 10, has_previews: true, fps: 23.976 }),
    ),
  );
  const video = taskGraph(withPreviews)[1];
  expect(video).toEqual(videoTask(["render-1-10"], { glob: "*.jpg", fps: 23.976 }));
});

test("no fps means no video; an empty scene means no --scene argument", async () => {
  const job = await registry.compile(
    submission("simple-blender-render", settings({ fps: 0, scene: "", chunk_size: 10 })),
  );
  expect(taskGraph(job)).toEqual([renderTask("1-10", 10, { scene: "" })]);
});

test("video output formats and a missing output path are refused by the script", async () => {
  await expect(
    registry.compile(submission("simple-blender-render", settings({ format: "FFMPEG" }))),
  ).rejects.toThrow('simple_blender_render.js: This job type only renders images, and not "FFMPEG"');
  const err = await registry
    .compile(submission("simple-blender-render", settings({ render_output_path: "" })))
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(JobTypeError);
  expect(err).toHaveProperty("message", "simple_blender_render.js: no render_output_path setting!");
});

test("settings checks apply the JOB_TYPE: required settings without eval must be present", async () => {
  const { blendfile: _blendfile, ...withoutBlendfile } = settings();
  const err = await registry
    .compile(submission("simple-blender-render", withoutBlendfile))
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SettingsError);
  expect(err).toHaveProperty("problems", [{ setting: "blendfile", problem: "required" }]);
});
