// A tiny real scene for tests that render with Debian's Blender (which CI installs): Cycles on
// the CPU at 64×36 with 4 samples, a few frames, about a second each; and the
// simple-blender-render job the Flamenco add-on would submit for it.
import { existsSync } from "node:fs";
import { join } from "node:path";

export const BLENDER = "/usr/bin/blender";
export const WIDTH_PX = 64;
export const HEIGHT_PX = 36;
export const FRAMES = [1, 2, 3];
/** Making the scene is one Blender start-up, about a second. */
const SCENE_TIMEOUT_MS = 20_000;

// The scene: Cycles on the CPU, 4 samples without denoising (Debian builds Blender without
// OpenImageDenoise), the default cube moving across the frame, saved to the path after `--`.
const MAKE_SCENE_PYTHON = `
import bpy, sys
scene = bpy.context.scene
scene.render.engine = "CYCLES"
scene.cycles.device = "CPU"
scene.cycles.samples = 4
scene.cycles.use_denoising = False
scene.render.resolution_x = ${WIDTH_PX}
scene.render.resolution_y = ${HEIGHT_PX}
scene.render.resolution_percentage = 100
scene.frame_start = ${FRAMES[0]}
scene.frame_end = ${FRAMES.at(-1)}
cube = bpy.data.objects["Cube"]
for frame, x in ((${FRAMES[0]}, -2.5), (${FRAMES.at(-1)}, 2.5)):
    cube.location.x = x
    cube.keyframe_insert("location", frame=frame)
bpy.ops.wm.save_as_mainfile(filepath=sys.argv[sys.argv.index("--") + 1])
`;

/** Blender must be installed: CI installs it, and a missing one must not pass as a skipped test. */
export function requireBlender(): void {
  if (!existsSync(BLENDER))
    throw new Error(
      `${BLENDER} is missing: install Debian's Blender (apt-get install --no-install-recommends blender; .ci/run does)`,
    );
}

/** An environment Blender is happy in: its own HOME (user config, caches) and no GPU to probe. */
export function blenderEnv(dir: string): Record<string, string> {
  return { HOME: dir, CUDA_VISIBLE_DEVICES: "" };
}

export async function makeScene(path: string, env: Record<string, string>): Promise<void> {
  const proc = Bun.spawn(
    [
      BLENDER,
      "-b",
      "--factory-startup",
      "--python-exit-code",
      "1",
      "--python-expr",
      MAKE_SCENE_PYTHON,
      "--",
      path,
    ],
    {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, ...env },
      timeout: SCENE_TIMEOUT_MS,
    },
  );
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0 || !existsSync(path))
    throw new Error(`making the scene failed (exit ${code}):\n${out}\n${err}`);
}

/** The job as the Flamenco add-on submits it for a scene saved at `blendfile`. */
export function renderJob(dir: string, blendfile: string, chunkSize: number) {
  return {
    name: "real render",
    type: "simple-blender-render",
    priority: 50,
    submitter_platform: "linux",
    settings: {
      frames: `${FRAMES[0]}-${FRAMES.at(-1)}`,
      chunk_size: chunkSize,
      render_output_root: join(dir, "out"),
      add_path_components: 0,
      render_output_path: join(dir, "out", "render", "######"),
      blendfile,
      fps: 24,
      format: "PNG",
      image_file_extension: ".png",
      has_previews: false,
      scene: "Scene",
    },
  };
}
