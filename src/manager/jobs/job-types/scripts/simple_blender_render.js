// Tablao built-in job type "simple-blender-render": renders a frame range in chunks with
// Blender, then (when FFmpeg can read the frames) encodes a preview video from them.
// The JOB_TYPE below is kept identical to Flamenco's, so its etag matches across Managers.

const JOB_TYPE = {
    label: "Simple Blender Render",
    description: "Render a sequence of frames, and create a preview video file",
    settings: [
        // Chosen by the artist:
        { key: "frames", type: "string", required: true,
          eval: "f'{C.scene.frame_start}-{C.scene.frame_end}'",
          evalInfo: { showLinkButton: true, description: "Scene frame range" },
          description: "Frame range to render. Examples: '47', '1-30', '3, 5-10, 47-327'" },
        { key: "chunk_size", type: "int32", default: 1, visible: "submission",
          description: "Number of frames to render in one Blender render task" },

        // The output path is computed by the add-on from these two:
        { key: "render_output_root", type: "string", subtype: "dir_path", required: true, visible: "submission",
          description: "Base directory of where render output is stored. Will have some job-specific parts appended to it" },
        { key: "add_path_components", type: "int32", required: true, default: 0, propargs: { min: 0, max: 32 }, visible: "submission",
          description: "Number of path components of the current blend file to use in the render output path" },
        { key: "render_output_path", type: "string", subtype: "file_path", editable: false,
          eval: "str(Path(abspath(settings.render_output_root), last_n_dir_parts(settings.add_path_components), jobname, '{timestamp}', '######'))",
          description: "Final file path of where render output will be saved" },

        // Filled in by the add-on from the scene:
        { key: "blendfile", type: "string", required: true, visible: "web",
          description: "Path of the Blend file to render" },
        { key: "fps", type: "float", visible: "hidden",
          eval: "C.scene.render.fps / C.scene.render.fps_base" },
        { key: "format", type: "string", required: true, visible: "web",
          eval: "C.scene.render.image_settings.file_format" },
        { key: "image_file_extension", type: "string", required: true, visible: "hidden",
          eval: "C.scene.render.file_extension",
          description: "File extension used when rendering images" },
        { key: "has_previews", type: "bool", required: false, visible: "hidden",
          eval: "C.scene.render.image_settings.use_preview",
          description: "Whether Blender will render preview images." },
        { key: "scene", type: "string", required: true, visible: "web",
          eval: "C.scene.name",
          description: "Name of the scene to render." },
    ],
};

// Blender writes these as EXR, which FFmpeg cannot read; their JPEG previews can be used instead.
const EXR_FORMATS = ["EXR", "MULTILAYER", "OPEN_EXR", "OPEN_EXR_MULTILAYER"];

// Video output belongs to other job types: this one renders image sequences.
const VIDEO_FORMATS = ["FFMPEG", "AVI_RAW", "AVI_JPEG"];

// Render settings forced on every render task: keep the file extension, and never overwrite
// or placeholder frames, so a requeued chunk does not clobber finished work.
const RENDER_SETTINGS_PYTHON = [
    "import bpy",
    "r = bpy.context.scene.render",
    "r.use_file_extension = True",
    "r.use_overwrite = False",
    "r.use_placeholder = False",
].join("; ");

function compileJob(job) {
    const settings = job.settings;
    if (VIDEO_FORMATS.includes(settings.format)) {
        throw `This job type only renders images, and not "${settings.format}"`;
    }

    const renderOutput = expandOutputPath(job);
    settings.render_output_path = renderOutput; // Shows the path actually used, timestamp included.

    const renderDir = path.dirname(renderOutput);
    const renderTasks = renderTasksFor(settings, path.join(renderDir, path.basename(renderOutput)));
    for (const task of renderTasks) {
        job.addTask(task);
    }

    const videoTask = previewVideoTaskFor(settings, renderDir);
    if (!videoTask) {
        return;
    }
    for (const task of renderTasks) {
        videoTask.addDependency(task);
    }
    job.addTask(videoTask);
}

// Replaces "{timestamp}" in the output path; other "{...}" fields (variables) are left alone.
function expandOutputPath(job) {
    const outputPath = job.settings.render_output_path;
    if (!outputPath) {
        throw "no render_output_path setting!";
    }
    return outputPath.replace(/{([^}]+)}/g, (field, name) =>
        name === "timestamp" ? formatTimestampLocal(job.created) : field);
}

function renderTasksFor(settings, outputArg) {
    const sceneArgs = settings.scene ? ["--scene", settings.scene] : [];
    return frameChunker(settings.frames, settings.chunk_size).map((chunk) => {
        const task = author.Task(`render-${chunk}`, "blender");
        task.addCommand(author.Command("blender-render", {
            exe: "{blender}",
            exeArgs: "{blenderArgs}",
            argsBefore: [],
            blendfile: settings.blendfile,
            args: [
                ...sceneArgs,
                "--python-expr", RENDER_SETTINGS_PYTHON,
                "--render-output", outputArg,
                "--render-format", settings.format,
                "--render-frame", chunk.replaceAll("-", ".."), // Blender's range notation.
            ],
        }, frameCount(chunk)));
        return task;
    });
}

function previewVideoTaskFor(settings, renderDir) {
    const fromPreviews = EXR_FORMATS.includes(settings.format);
    if (fromPreviews && !settings.has_previews) {
        print("No preview video: FFmpeg cannot read", settings.format, "and Blender renders no previews");
        return undefined;
    }
    if (!settings.fps) {
        print("No preview video: the frame rate is unknown");
        return undefined;
    }

    let frameLabel = String(settings.frames);
    if (frameLabel.includes(",")) {
        const singleFrames = frameChunker(settings.frames, 1);
        frameLabel = `${singleFrames[0]}-${singleFrames[singleFrames.length - 1]}`;
    }
    const stem = path.stem(settings.blendfile).replace(".flamenco", "");
    const extension = fromPreviews ? ".jpg" : settings.image_file_extension;

    const task = author.Task("preview-video", "ffmpeg");
    task.addCommand(author.Command("frames-to-video", {
        exe: "ffmpeg",
        fps: settings.fps,
        inputGlob: path.join(renderDir, `*${extension}`),
        outputFile: path.join(renderDir, `${stem}-${frameLabel}.mp4`),
        args: [
            "-c:v", "h264",
            "-crf", "20",
            "-g", "18",
            "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",
            "-pix_fmt", "yuv420p",
            "-r", settings.fps,
            "-y", // Without -y or -n, FFmpeg would wait for an answer when the file exists.
        ],
    }));
    return task;
}
