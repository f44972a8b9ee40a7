// Tablao built-in job type "echo-sleep-test": a farm smoke test. One task echoes a message,
// then `sleep_repeats` tasks sleep in parallel, each waiting only for the echo.

const JOB_TYPE = {
    label: "Echo Sleep Test",
    settings: [
        { key: "message", type: "string", required: true },
        { key: "sleep_duration_seconds", type: "int32", default: 1 },
        { key: "sleep_repeats", type: "int32", default: 1 },
    ],
};

function compileJob(job) {
    const settings = job.settings;

    const echo = author.Task("echo", "misc");
    echo.addCommand(author.Command("echo", { message: settings.message }));
    job.addTask(echo);

    for (let repeat = 0; repeat < settings.sleep_repeats; repeat++) {
        const sleep = author.Task("sleep", "misc");
        sleep.addCommand(author.Command("sleep", { duration_in_seconds: settings.sleep_duration_seconds }));
        sleep.addDependency(echo);
        job.addTask(sleep);
    }
}
