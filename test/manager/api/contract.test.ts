import { describe, expect, test } from "bun:test";
import { OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { Hook } from "@hono/zod-openapi";
import type { Env } from "hono";
import YAML from "yaml";
import { z } from "zod";
import {
  WORKER_AUTH_SCHEME_NAME,
  allRoutes,
  registerWorker,
  setJobPriority,
  setWorkerSleepSchedule,
  shamanFileStore,
  submitJob,
  workerAuthScheme,
  workerStateChanged,
} from "../../../src/manager/api/routes";
import { ErrorSchema, TaskWorker, eventSchemas, standaloneSchemas } from "../../../src/manager/api/schemas";

// The parts of the generated OpenAPI document the tests read; zod drops the rest (the round-trip
// test uses the document as generated). Values compared whole are kept as `unknown`.
const Parameter = z.object({
  name: z.string(),
  in: z.string(),
  required: z.boolean().optional(),
  schema: z.record(z.string(), z.unknown()).optional(),
});
const Response = z.object({
  content: z
    .record(z.string(), z.object({ schema: z.object({ $ref: z.string().optional() }).optional() }))
    .optional(),
});
const Operation = z.object({
  operationId: z.string(),
  tags: z.array(z.string()).optional(),
  parameters: z.array(Parameter).optional(),
  responses: z.record(z.string(), Response),
  security: z.array(z.record(z.string(), z.array(z.string()))).optional(),
});
const ComponentSchema = z.object({
  required: z.array(z.string()).optional(),
  properties: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  allOf: z.array(z.record(z.string(), z.unknown())).optional(),
  enum: z.array(z.unknown()).optional(),
});
const OpenApiDocument = z.object({
  paths: z.record(z.string(), z.record(z.string(), Operation)),
  components: z.object({
    schemas: z.record(z.string(), ComponentSchema),
    securitySchemes: z.record(z.string(), z.unknown()).optional(),
  }),
});
type OpenApiDocument = z.infer<typeof OpenApiDocument>;

const EXPECTED_OPERATIONS = {
  meta: [
    "getVersion",
    "getConfiguration",
    "checkSharedStoragePath",
    "findBlenderExePath",
    "checkBlenderExePath",
    "saveSetupAssistantConfig",
    "getConfigurationFile",
    "updateConfigurationFile",
    "getVariables",
    "getSharedStorage",
    "getFarmStatus",
  ],
  worker: [
    "registerWorker",
    "signOn",
    "signOff",
    "workerState",
    "workerStateChanged",
    "scheduleTask",
    "taskUpdate",
    "mayWorkerRun",
    "taskOutputProduced",
  ],
  "worker-mgt": [
    "fetchWorkers",
    "fetchWorker",
    "deleteWorker",
    "requestWorkerStatusChange",
    "setWorkerTags",
    "fetchWorkerSleepSchedule",
    "setWorkerSleepSchedule",
    "fetchWorkerTags",
    "createWorkerTag",
    "fetchWorkerTag",
    "updateWorkerTag",
    "deleteWorkerTag",
  ],
  jobs: [
    "getJobTypes",
    "getJobType",
    "fetchJobs",
    "submitJob",
    "submitJobCheck",
    "deleteJobMass",
    "fetchGlobalLastRenderedInfo",
    "fetchJob",
    "deleteJob",
    "deleteJobWhatWouldItDo",
    "fetchJobLastRenderedInfo",
    "setJobStatus",
    "setJobPriority",
    "setJobTag",
    "fetchJobTasks",
    "fetchJobBlocklist",
    "removeJobBlocklist",
    "fetchTask",
    "fetchTaskLogTail",
    "fetchTaskLogInfo",
    "setTaskStatus",
  ],
  shaman: ["shamanCheckoutRequirements", "shamanCheckout", "shamanFileStoreCheck", "shamanFileStore"],
} as const;

const EXPECTED_COMPONENTS = [
  "Job",
  "SubmittedJob",
  "JobStatus",
  "TaskStatus",
  "WorkerStatus",
  "AssignedTask",
  "TaskUpdate",
  "WorkerRegistration",
  "RegisteredWorker",
  "WorkerSignOn",
  "WorkerStateChange",
  "WorkerStateChanged",
  "MayKeepRunning",
  "AvailableJobTypes",
  "AvailableJobType",
  "AvailableJobSetting",
  "AvailableJobSettingType",
  "AvailableJobSettingSubtype",
  "AvailableJobSettingVisibility",
  "Command",
  "TaskWorker",
  "TaskSummary",
  "JobTasksSummary",
  "JobsQuery",
  "JobsQueryResult",
  "Task",
  "JobSettings",
  "JobMetadata",
  "JobStorageInfo",
  "FlamencoVersion",
  "ManagerConfiguration",
  "ManagerVariables",
  "ManagerVariable",
  "ManagerVariableAudience",
  "SharedStorageLocation",
  "FarmStatusReport",
  "FarmStatus",
  "PathCheckInput",
  "PathCheckResult",
  "BlenderPathFindResult",
  "BlenderPathCheckResult",
  "BlenderPathSource",
  "SetupAssistantConfig",
  "WorkerSummary",
  "WorkerList",
  "Worker",
  "WorkerTask",
  "WorkerTag",
  "WorkerTagList",
  "WorkerTagChangeRequest",
  "WorkerSleepSchedule",
  "JobBlocklist",
  "JobBlocklistEntry",
  "TaskLogInfo",
  "JobLastRenderedImageInfo",
  "JobDeletionInfo",
  "JobMassDeletionSelection",
  "JobPriorityChange",
  "JobStatusChange",
  "TaskStatusChange",
  "JobTagChange",
  "WorkerStatusChangeRequest",
  "Error",
  "SecurityError",
  "ShamanRequirementsRequest",
  "ShamanRequirementsResponse",
  "ShamanFileSpec",
  "ShamanFileSpecWithStatus",
  "ShamanCheckout",
  "ShamanCheckoutResult",
  "ShamanFileStatus",
  "ShamanSingleFileStatus",
  "EventJobUpdate",
  "EventTaskUpdate",
  "AssignedWorker",
  "EventTaskLogUpdate",
  "EventLastRenderedUpdate",
  "EventWorkerUpdate",
  "EventWorkerTagUpdate",
  "EventLifeCycle",
  "LifeCycleEventType",
  "EventFarmStatus",
  "SocketIOSubscription",
  "SocketIOSubscriptionOperation",
  "SocketIOSubscriptionType",
];

const routes = allRoutes as readonly RouteConfig[];
/** What appAnsweringOperationIds answers. */
const OpAnswer = z.object({ op: z.string().optional() });
const SAMPLE_UUID = "4312d68c-ea6d-4566-9bf6-e9f09be48ceb";

/** Registers every route; the per-route hook answers with the operationId, valid input or not. */
function appAnsweringOperationIds() {
  const app = new OpenAPIHono();
  for (const route of routes) {
    const answer: Hook<unknown, Env, string, unknown> = (_result, c) =>
      c.json({ op: route.operationId }, 200);
    app.openapi(route, (c) => c.json({ op: route.operationId }, 200) as never, answer as never);
  }
  return app;
}

function buildDocument() {
  const app = appAnsweringOperationIds();
  app.openAPIRegistry.registerComponent("securitySchemes", WORKER_AUTH_SCHEME_NAME, workerAuthScheme);
  for (const { name, schema } of standaloneSchemas) app.openAPIRegistry.register(name, schema);
  return app.getOpenAPIDocument({ openapi: "3.0.3", info: { title: "Tablao", version: "test" } });
}

function operations(doc: OpenApiDocument) {
  const ops: { path: string; method: string; op: z.infer<typeof Operation> }[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) ops.push({ path, method, op });
  }
  return ops;
}

const generated = buildDocument();
const doc = OpenApiDocument.parse(generated);
const schemas = doc.components.schemas;

/** The component schema `name`; throws when the document has none of that name. */
function component(name: string) {
  const schema = schemas[name];
  if (!schema) throw new Error(`the document defines no component ${name}`);
  return schema;
}

/** The operation `id`; throws when the document has none of that id. */
function operation(id: string) {
  const found = operations(doc).find((o) => o.op.operationId === id);
  if (!found) throw new Error(`the document has no operation ${id}`);
  return found.op;
}

describe("OpenAPI document", () => {
  test("converts to JSON and YAML and back without loss", () => {
    const json = JSON.stringify(generated);
    expect(JSON.parse(json)).toEqual(generated);
    expect(YAML.parse(YAML.stringify(generated))).toEqual(JSON.parse(json));
  });

  test("has exactly the 57 Flamenco operations, each once, under its tag", () => {
    const ops = operations(doc);
    const ids = ops.map((o) => o.op.operationId);
    expect(ids.length).toBe(57);
    expect(new Set(ids).size).toBe(57);
    for (const [tag, expected] of Object.entries(EXPECTED_OPERATIONS)) {
      const actual = ops
        .filter((o) => o.op.tags?.length === 1 && o.op.tags[0] === tag)
        .map((o) => o.op.operationId);
      expect(actual.sort()).toEqual([...expected].sort());
    }
  });

  test("every path lives under /api/v3 and declares its path parameters", () => {
    for (const { path, op } of operations(doc)) {
      expect(path.startsWith("/api/v3/")).toBe(true);
      // `(\w+)` always captures: the fallback only satisfies the type.
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? "").sort();
      const declared = (op.parameters ?? [])
        .filter((p) => p.in === "path")
        .map((p) => {
          expect(p.required).toBe(true);
          return p.name;
        })
        .sort();
      expect(declared).toEqual(inPath);
    }
  });

  test("UUID path parameters are declared as UUIDs", () => {
    for (const { op } of operations(doc)) {
      for (const p of op.parameters ?? []) {
        if (/_id$/.test(p.name))
          expect(p.schema).toEqual({ type: "string", format: "uuid", description: expect.any(String) });
      }
    }
  });

  test("every error response carries the Error body, except scheduleTask's 423 state change", () => {
    for (const { op } of operations(doc)) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 300) continue;
        const expected =
          op.operationId === "scheduleTask" && status === "423" ? "WorkerStateChange" : "Error";
        expect({
          op: op.operationId,
          status,
          ref: response.content?.["application/json"]?.schema?.$ref,
        }).toEqual({
          op: op.operationId,
          status,
          ref: `#/components/schemas/${expected}`,
        });
      }
    }
  });

  test("declares the statuses Flamenco clients depend on", () => {
    const statuses = (id: string) =>
      Object.keys(operation(id).responses)
        .map(Number)
        .sort((a, b) => a - b);
    expect(statuses("scheduleTask")).toEqual([200, 204, 403, 409, 423, 500, 503]);
    expect(statuses("taskOutputProduced")).toEqual([202, 400, 403, 404, 411, 413, 415, 429, 500]);
    expect(statuses("setJobTag")).toEqual([204, 400, 404, 406, 500]);
    expect(statuses("deleteJobMass")).toEqual([204, 400, 416, 500, 503]);
    expect(statuses("shamanFileStore")).toEqual([204, 208, 400, 411, 413, 417, 425, 500, 503]);
    expect(statuses("shamanCheckout")).toEqual([200, 400, 409, 424, 500, 503]);
    expect(statuses("requestWorkerStatusChange")).toEqual([204, 400, 404, 412, 500]);
    expect(statuses("submitJob")).toEqual([200, 400, 412, 422, 500]);
  });

  test("204 and 202 responses have no body", () => {
    for (const { op } of operations(doc)) {
      for (const status of ["202", "204", "208"]) {
        const response = op.responses[status];
        if (response) expect(response.content).toBeUndefined();
      }
    }
  });

  test("worker routes need worker_auth, except registration; no other route does", () => {
    expect(doc.components.securitySchemes).toEqual({ worker_auth: { ...workerAuthScheme } });
    for (const { op } of operations(doc)) {
      const needsAuth = op.tags?.[0] === "worker" && op.operationId !== "registerWorker";
      expect({ op: op.operationId, security: op.security }).toEqual({
        op: op.operationId,
        security: needsAuth ? [{ worker_auth: [] }] : undefined,
      });
    }
  });

  test("defines every Flamenco component name", () => {
    const missing = EXPECTED_COMPONENTS.filter((name) => !(name in schemas));
    expect(missing).toEqual([]);
    expect(eventSchemas.map((e) => e.name).every((name) => name in schemas)).toBe(true);
  });

  test("component required fields match Flamenco, with the documented corrections", () => {
    expect(component("Error").required).toEqual(["code", "message"]);
    expect(component("Error").properties?.code).toMatchObject({ type: "integer", format: "int32" });

    const [base, ownSchema] = component("Job").allOf ?? [];
    expect(base).toEqual({ $ref: "#/components/schemas/SubmittedJob" });
    const own = ComponentSchema.parse(ownSchema);
    expect(own.required).toEqual([
      "id",
      "created",
      "updated",
      "status",
      "activity",
      "steps_completed",
      "steps_total",
    ]);
    expect(own.properties?.created).toMatchObject({ type: "string", format: "date-time" });
    expect(component("SubmittedJob").required).toEqual(["name", "type", "submitter_platform"]);
    expect(component("SubmittedJob").properties?.priority?.default).toBe(50);

    expect(component("AssignedTask").required).toEqual([
      "uuid",
      "job",
      "name",
      "status",
      "priority",
      "job_priority",
      "job_type",
      "task_type",
      "commands",
      "steps_completed",
      "steps_total",
    ]);
    expect(component("Command").required).toEqual(["name", "parameters", "total_step_count"]);
    expect(component("TaskSummary").required).toEqual([
      "id",
      "name",
      "status",
      "index_in_job",
      "priority",
      "task_type",
      "updated",
      "steps_completed",
      "steps_total",
    ]);
    // Flamenco's spec says [jobs] and lists current_task/task_id/name that it never sends.
    expect(component("JobTasksSummary").required).toEqual(["tasks"]);
    expect(component("RegisteredWorker").required).not.toContain("current_task");
    expect(component("EventLastRenderedUpdate").required).toEqual(["job_id", "thumbnail"]);
    expect(component("ManagerVariable").required).toEqual(["value", "is_twoway"]);

    expect(component("MayKeepRunning").required).toEqual([
      "mayKeepRunning",
      "reason",
      "statusChangeRequested",
    ]);
    expect(component("TaskUpdate").required).toBeUndefined();
    expect(component("EventJobUpdate").required).toEqual([
      "id",
      "updated",
      "status",
      "type",
      "priority",
      "refresh_tasks",
      "steps_completed",
      "steps_total",
    ]);
    expect(component("EventWorkerUpdate").required).toEqual([
      "id",
      "name",
      "updated",
      "status",
      "version",
      "can_restart",
    ]);
    expect(component("JobPriorityChange").properties?.priority).toMatchObject({
      type: "integer",
      minimum: 0,
      maximum: 100,
    });
    expect(component("JobStatus").enum).toContain("pause-requested");
    // Flamenco's list, written out: the schema is built from WORKER_STATUSES, so comparing with
    // that list would pass whatever it held.
    expect(component("WorkerStatus").enum).toEqual([
      "starting",
      "awake",
      "asleep",
      "error",
      "testing",
      "offline",
      "restart",
    ]);
  });
});

describe("routing", () => {
  const app = appAnsweringOperationIds();
  const sample: Record<string, string> = {
    audience: "users",
    platform: "linux",
    // A job type named like a job sub-resource must still reach getJobType.
    typeName: "tasks",
    checksum: "a".repeat(64),
    filesize: "1424",
  };

  test("every operation is reached by its own path, whatever the registration order", async () => {
    for (const route of routes) {
      const url = route.path.replace(/\{(\w+)\}/g, (_, name: string) => sample[name] ?? SAMPLE_UUID);
      const res = await app.request(url, { method: route.method.toUpperCase() });
      expect({ url, op: OpAnswer.parse(await res.json()).op }).toEqual({ url, op: route.operationId });
    }
  });
});

describe("request validation", () => {
  const app = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (!result.success) return c.json({ code: 400, message: result.error.issues[0]?.message ?? "" }, 400);
    },
  });
  app.openapi(setJobPriority, (c) => c.body(null, 204));
  app.openapi(submitJob, (c) => c.json(c.req.valid("json") as never, 200));
  app.openapi(workerStateChanged, (c) => c.body(null, 204));
  app.openapi(registerWorker, (c) => c.json({} as never, 200));
  app.openapi(setWorkerSleepSchedule, (c) => c.body(null, 204));
  // Echo handlers answer 200 with what validation produced; the contract does not declare that.
  app.openapi(shamanFileStore, (c) =>
    c.json(
      {
        defer: c.req.valid("header")["x-shaman-can-defer-upload"],
        size: c.req.valid("param").filesize,
      } as never,
      200 as never,
    ),
  );

  const post = (url: string, body: unknown, method = "POST") =>
    app.request(url, { method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

  test("UUID path parameters reject anything but the hyphenated hex form", async () => {
    for (const id of ["abc", `${SAMPLE_UUID}x`, SAMPLE_UUID.replaceAll("-", "")]) {
      expect((await post(`/api/v3/jobs/${id}/setpriority`, { priority: 5 })).status).toBe(400);
    }
    expect(
      (await post(`/api/v3/jobs/${SAMPLE_UUID.toUpperCase()}/setpriority`, { priority: 5 })).status,
    ).toBe(204);
    expect(
      (await post("/api/v3/jobs/00000000-0000-0000-0000-000000000000/setpriority", { priority: 5 })).status,
    ).toBe(204);
  });

  test("setpriority accepts integers from 0 to 100 only", async () => {
    const url = `/api/v3/jobs/${SAMPLE_UUID}/setpriority`;
    for (const priority of [0, 100]) expect((await post(url, { priority })).status).toBe(204);
    for (const priority of [-1, 101, 2.5, "5"]) expect((await post(url, { priority })).status).toBe(400);
    const res = await post(url, {});
    expect(res.status).toBe(400);
    expect(ErrorSchema.parse(await res.json()).code).toBe(400);
  });

  test("a submitted job gets priority 50 when none is given; metadata values must be strings", async () => {
    const job = { name: "shot", type: "simple-blender-render", submitter_platform: "linux" };
    const res = await post("/api/v3/jobs", job);
    expect(res.status).toBe(200);
    // Not SubmittedJob: its default would fill in the 50 this checks the validation produced.
    expect(z.object({ priority: z.number() }).parse(await res.json()).priority).toBe(50);
    expect((await post("/api/v3/jobs", { ...job, worker_tag: "" })).status).toBe(200);
    expect((await post("/api/v3/jobs", { ...job, worker_tag: "gpu" })).status).toBe(400);
    expect((await post("/api/v3/jobs", { ...job, metadata: { frames: 12 } })).status).toBe(400);
    expect((await post("/api/v3/jobs", { ...job, initial_status: "paused" })).status).toBe(200);
    expect((await post("/api/v3/jobs", { ...job, initial_status: "sleeping" })).status).toBe(400);
  });

  test("worker statuses are checked against the enum", async () => {
    expect((await post("/api/v3/worker/state-changed", { status: "awake" })).status).toBe(204);
    expect((await post("/api/v3/worker/state-changed", { status: "dancing" })).status).toBe(400);
  });

  test("worker secrets longer than bcrypt's 72 bytes are refused", async () => {
    const reg = { name: "w", platform: "linux", supported_task_types: ["blender"] };
    expect((await post("/api/v3/worker/register-worker", { ...reg, secret: "x".repeat(72) })).status).toBe(
      200,
    );
    expect((await post("/api/v3/worker/register-worker", { ...reg, secret: "é".repeat(37) })).status).toBe(
      400,
    );
  });

  test("sleep schedules take HH:MM times within a day, or nothing", async () => {
    const url = `/api/v3/worker-mgt/workers/${SAMPLE_UUID}/sleep-schedule`;
    const schedule = { is_active: true, days_of_week: "mo tu", start_time: "22:00", end_time: "06:00" };
    expect((await post(url, schedule)).status).toBe(204);
    expect((await post(url, { ...schedule, start_time: "", end_time: "9:5", days_of_week: "" })).status).toBe(
      204,
    );
    for (const bad of [
      { start_time: "24:00" },
      { end_time: "12:60" },
      { end_time: "noon" },
      { days_of_week: "mo t" },
    ]) {
      expect((await post(url, { ...schedule, ...bad })).status).toBe(400);
    }
  });

  test("Shaman uploads parse the size and Go-style boolean header", async () => {
    const url = `/api/v3/shaman/files/${"0f".repeat(32)}/1424`;
    const upload = (headers: Record<string, string>, to = url) =>
      app.request(to, {
        method: "POST",
        headers: { "Content-Type": "application/octet-stream", ...headers },
        body: "x",
      });
    expect(await (await upload({ "X-Shaman-Can-Defer-Upload": "True" })).json()).toEqual({
      defer: true,
      size: 1424,
    });
    expect(await (await upload({ "X-Shaman-Can-Defer-Upload": "0" })).json()).toEqual({
      defer: false,
      size: 1424,
    });
    expect((await upload({ "X-Shaman-Can-Defer-Upload": "maybe" })).status).toBe(400);
    expect((await upload({}, `/api/v3/shaman/files/${"0f".repeat(32)}/0x10`)).status).toBe(400);
    expect((await upload({}, "/api/v3/shaman/files/../1424")).status).not.toBe(200);
  });

  test("a task's worker reference may be empty when no worker is assigned", () => {
    expect(TaskWorker.safeParse({ id: "", name: "", address: "" }).success).toBe(true);
    expect(TaskWorker.safeParse({ id: "nobody", name: "", address: "" }).success).toBe(false);
  });
});
