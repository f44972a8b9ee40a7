// The fuzz requests: for every operation of the OpenAPI document, a valid request broken one
// way at a time (malformed JSON, a field of the wrong type, a required field missing, unknown
// fields, deep nesting, a body far beyond any sane size, the wrong content type, bad UUIDs and
// path traversal in every path parameter, bad worker credentials), plus traversal attempts on
// every route that serves files and oversized or broken image uploads. Cases are grouped by
// kind and dealt round-robin, so a small run still tries every kind; a run larger than the
// systematic cases is filled up with random combinations. All randomness comes from the PRNG.
import {
  type KnownValues,
  type Operation,
  type Schema,
  exampleOf,
  fieldsOf,
  withField,
} from "./openapi-walk";
import type { Prng } from "./prng";
import type { RawRequest } from "./raw-http";

/** Bigger than any body the Manager should accept (its largest, an image upload, is 25 MiB). */
const HUGE_BODY_BYTES = 20 * 1024 * 1024;
/** Above the 25 MiB image limit of output-produced. */
const OVERSIZED_UPLOAD_BYTES = 30 * 1024 * 1024;
const LONG_STRING_CHARS = 100_000;
const DEEP_NESTING_LEVELS = [1_000, 100_000];
const MANY_FIELDS = 10_000;

export type FuzzKind =
  | "malformed-json"
  | "wrong-type"
  | "missing-field"
  | "extra-fields"
  | "deep-nesting"
  | "huge-body"
  | "content-type"
  | "bad-path-param"
  | "bad-query"
  | "worker-auth"
  | "file-traversal"
  | "upload"
  | "ws-upgrade"
  | "random";

export interface FuzzCase {
  kind: FuzzKind;
  /** What was sent and broken; with `request` enough to reproduce it. */
  description: string;
  request: RawRequest;
  /** The status this case must get, when the issue names one (413 for huge bodies). */
  expectStatus?: number;
}

export interface FuzzTargets {
  /** A valid value for each path parameter name (job_id, task_id, worker_id, tag_id, typeName, ...). */
  pathValues: Record<string, string>;
  /** Values that make request bodies valid (job type, platform, ...). */
  known: KnownValues;
  /** `Authorization` for worker routes (Basic, a registered worker). */
  workerAuth: string;
  /** Extra headers for every other route (a token), when loopback alone is not enough. */
  managerHeaders: Record<string, string>;
  /** Existing /job-files/ URLs (a task log, a last-rendered image): traversal starts from their folders. */
  fileUrls: string[];
  /** Name of the planted canary files, one and two folders above the storage folder. */
  canaryName: string;
  /** Folders between the storage folder and the file system root (for absolute traversal). */
  storageDepth: number;
  /** A real JPEG, for uploads that are valid but for one thing. */
  jpeg: Uint8Array;
}

// Path parameter values: bad UUIDs, traversal (raw and in several encodings), odd characters.
const BAD_PARAM_VALUES = [
  "not-a-uuid",
  "00000000-0000-0000-0000-00000000000g",
  "00000000000000000000000000000000",
  "{00000000-0000-4000-8000-000000000000}",
  "%20",
  "%00",
  "%",
  "%zz",
  "..",
  "%2e%2e",
  "..%2f..%2f..%2f..%2fetc%2fpasswd",
  "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
  "..%252f..%252f..%252fetc%252fpasswd",
  "..%5c..%5c..%5cwindows%5cwin.ini",
  "%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%afetc%c0%afpasswd",
  "..%2f..%2fcanary.txt",
  "%2fetc%2fpasswd",
  "-1",
  "99999999999999999999999",
  "1e3",
  "%F0%9F%92%A9",
  "%27%3B%20DROP%20TABLE%20jobs%3B--",
  "x".repeat(8_192),
];

const MALFORMED_JSON = [
  "{",
  '{"a":',
  "[1,2",
  "nul",
  '{"a":1}}',
  "{'a':1}",
  '"unterminated',
  "\u0000",
  "\ufeff{}",
  '{"a":"\\ud800"}',
  '{"a":1,"a":2}',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  "1".repeat(400),
  "",
];

/** Values of the wrong type for a field of the given schema type. */
function wrongValues(type: string | undefined): unknown[] {
  const long = "x".repeat(LONG_STRING_CHARS);
  switch (type) {
    case "string":
      return [12345, true, null, {}, [], long, "\u0000\u202e"];
    case "integer":
      return ["12", 1.5, -1, 1e308, -1e308, 2 ** 63, null, true, []];
    case "number":
      return ["1.5", null, {}, 1e308, -1e308];
    case "boolean":
      return ["true", 0, null, {}];
    case "array":
      return ["x", {}, 1, null, [null], [{}, 1, "x", [[]]]];
    default:
      return ["x", [], 1, null, true, long];
  }
}

const UP_STEPS = [
  "../",
  "..%2f",
  "%2e%2e%2f",
  "%2e%2e/",
  ".%2e/",
  "..%252f",
  "..%5c",
  "..\\",
  "....//",
  "%c0%ae%c0%ae/",
];

/** `n` traversal steps of one encoding, then `target`. */
const climb = (step: string, n: number, target: string) => step.repeat(n) + target;

export function buildCases(ops: readonly Operation[], t: FuzzTargets, prng: Prng): Map<FuzzKind, FuzzCase[]> {
  const byKind = new Map<FuzzKind, FuzzCase[]>();
  const add = (c: FuzzCase) => {
    const list = byKind.get(c.kind) ?? [];
    list.push(c);
    byKind.set(c.kind, list);
  };
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));

  for (const op of ops) {
    const req = (parts: {
      target?: string;
      headers?: Record<string, string>;
      body?: Uint8Array | Uint8Array[];
    }): RawRequest => ({
      method: op.method,
      target: parts.target ?? targetOf(op, t.pathValues),
      headers: {
        ...(op.workerAuth ? { Authorization: t.workerAuth } : t.managerHeaders),
        ...(parts.body && op.bodyTypes.includes("application/json")
          ? { "Content-Type": "application/json" }
          : {}),
        ...parts.headers,
      },
      ...(parts.body ? { body: parts.body } : {}),
    });
    const name = `${op.method} ${op.path}`;
    const schema = op.bodySchema;
    const valid = schema ? exampleOf(schema, t.known) : undefined;

    if (schema) {
      for (const text of MALFORMED_JSON) {
        add({
          kind: "malformed-json",
          description: `${name} body ${JSON.stringify(text.slice(0, 40))}`,
          request: req({ body: Buffer.from(text) }),
        });
      }
      add({
        kind: "malformed-json",
        description: `${name} random bytes`,
        request: req({ body: prng.bytes(256) }),
      });
      for (const field of fieldsOf(schema)) {
        for (const value of wrongValues(field.schema.type)) {
          add({
            kind: "wrong-type",
            description: `${name} ${field.path.join(".")} = ${JSON.stringify(value)?.slice(0, 40)}`,
            request: req({ body: json(withField(valid, field.path, value)) }),
          });
        }
        if (field.required) {
          add({
            kind: "missing-field",
            description: `${name} without ${field.path.join(".")}`,
            request: req({ body: json(withField(valid, field.path, undefined)) }),
          });
        }
      }
      for (const value of wrongValues(schema.type)) {
        add({
          kind: "wrong-type",
          description: `${name} body = ${JSON.stringify(value)?.slice(0, 40)}`,
          request: req({ body: json(value) }),
        });
      }
      add({ kind: "missing-field", description: `${name} body {}`, request: req({ body: json({}) }) });
      add({ kind: "missing-field", description: `${name} no body`, request: req({}) });
      const many = Object.fromEntries(Array.from({ length: MANY_FIELDS }, (_, i) => [`f${i}`, i]));
      add({
        kind: "extra-fields",
        description: `${name} + ${MANY_FIELDS} unknown fields`,
        request: req({ body: json({ ...(valid as object), ...many }) }),
      });
      add({
        kind: "extra-fields",
        description: `${name} + unknown field`,
        request: req({ body: json({ ...(valid as object), unknown: { a: 1 } }) }),
      });
      for (const levels of DEEP_NESTING_LEVELS) {
        add({
          kind: "deep-nesting",
          description: `${name} ${levels} nested objects`,
          request: req({ body: Buffer.from('{"a":'.repeat(levels) + "1" + "}".repeat(levels)) }),
        });
        add({
          kind: "deep-nesting",
          description: `${name} ${levels} nested arrays`,
          request: req({ body: Buffer.from("[".repeat(levels) + "]".repeat(levels)) }),
        });
      }
      const firstObject = fieldsOf(schema).find(
        (f) => f.schema.type === "object" || f.schema.additionalProperties,
      );
      if (firstObject) {
        const deep = JSON.parse('{"a":'.repeat(500) + "1" + "}".repeat(500)) as unknown;
        add({
          kind: "deep-nesting",
          description: `${name} ${firstObject.path.join(".")} 500 levels deep`,
          request: req({ body: json(withField(valid, firstObject.path, deep)) }),
        });
      }
      // Routes that declare a larger limit (Shaman's file lists) are sent it by their own tests.
      if ((op.maxBodyBytes ?? 0) < HUGE_BODY_BYTES)
        add({
          kind: "huge-body",
          description: `${name} ${HUGE_BODY_BYTES} byte JSON body`,
          request: req({ body: hugeJson(valid, schema) }),
          expectStatus: 413,
        });
      for (const type of [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=utf-16",
      ]) {
        add({
          kind: "content-type",
          description: `${name} as ${type}`,
          request: req({ body: json(valid), headers: { "Content-Type": type } }),
        });
      }
    }

    for (const p of op.parameters.filter((p) => p.in === "path")) {
      for (const value of BAD_PARAM_VALUES) {
        add({
          kind: "bad-path-param",
          description: `${name} ${p.name}=${value.slice(0, 60)}`,
          request: req({
            target: targetOf(op, { ...t.pathValues, [p.name]: value }),
            ...(valid !== undefined ? { body: json(valid) } : {}),
          }),
        });
      }
    }
    for (const p of op.parameters.filter((p) => p.in === "query")) {
      for (const value of [
        ...BAD_PARAM_VALUES.slice(0, 12),
        ...wrongValues(p.schema.type).map((v) => encodeURIComponent(JSON.stringify(v))),
      ]) {
        add({
          kind: "bad-query",
          description: `${name} ?${p.name}=${value.slice(0, 60)}`,
          request: req({ target: `${targetOf(op, t.pathValues)}?${p.name}=${value}` }),
        });
      }
    }
    if (op.workerAuth) {
      const bad = {
        "no credentials": undefined,
        "malformed Basic": "Basic !!!not-base64!!!",
        "Basic without colon": `Basic ${Buffer.from("justaname").toString("base64")}`,
        "unknown worker": `Basic ${Buffer.from("00000000-0000-4000-8000-000000000000:secret-secret-secret").toString("base64")}`,
        "wrong secret": t.workerAuth.replace(/.{4}$/, "AAAA"),
        "64 KiB header": `Basic ${"A".repeat(64 * 1024)}`,
        "Bearer instead of Basic": "Bearer abc",
      };
      for (const [what, value] of Object.entries(bad)) {
        const request = req(valid !== undefined ? { body: json(valid) } : {});
        if (value === undefined) delete request.headers.Authorization;
        else request.headers.Authorization = value;
        add({ kind: "worker-auth", description: `${name} with ${what}`, request });
      }
    }
    if (op.bodyTypes.some((type) => type.startsWith("image/"))) {
      for (const c of uploadCases(name, req, t.jpeg, prng)) add(c);
    }
  }
  for (const c of traversalCases(t)) add(c);
  for (const c of upgradeCases()) add(c);
  return byKind;
}

/** The operation's path with its parameters filled in from `values` (inserted as they are). */
function targetOf(op: Operation, values: Record<string, string>): string {
  return op.path.replace(/\{([^}]+)\}/g, (_, name: string) => values[name] ?? "x");
}

/** HUGE_BODY_BYTES of filler, made once and shared by every huge body. */
let hugeFiller: Uint8Array | null = null;
const FILLER_MARK = "\u0001filler\u0001";

/** A valid body grown past HUGE_BODY_BYTES through one string field (or a padding field). */
function hugeJson(valid: unknown, schema: Schema): Uint8Array[] {
  hugeFiller ??= Buffer.alloc(HUGE_BODY_BYTES, "x");
  const field = fieldsOf(schema, 1).find((f) => f.schema.type === "string");
  const text = JSON.stringify(
    field ? withField(valid, field.path, FILLER_MARK) : { ...(valid as object), padding: FILLER_MARK },
  );
  const [before = "", after = ""] = text.split(JSON.stringify(FILLER_MARK).slice(1, -1));
  return [Buffer.from(before), hugeFiller, Buffer.from(after)];
}

function uploadCases(
  name: string,
  req: (parts: { headers?: Record<string, string>; body?: Uint8Array }) => RawRequest,
  jpeg: Uint8Array,
  prng: Prng,
): FuzzCase[] {
  // A PNG header claiming 65535×65535 pixels, with no image data after it.
  const pngBomb = Buffer.from("89504e470d0a1a0a0000000d494844520000ffff0000ffff0806000000", "hex");
  const oversized = Buffer.alloc(OVERSIZED_UPLOAD_BYTES);
  oversized.set(jpeg);
  const cases: [string, Record<string, string>, Uint8Array, number?][] = [
    [`${OVERSIZED_UPLOAD_BYTES} byte JPEG`, { "Content-Type": "image/jpeg" }, oversized, 413],
    ["garbage as image/png", { "Content-Type": "image/png" }, prng.bytes(4_096)],
    ["truncated JPEG", { "Content-Type": "image/jpeg" }, jpeg.subarray(0, Math.floor(jpeg.length / 2))],
    ["PNG claiming 65535×65535 pixels", { "Content-Type": "image/png" }, pngBomb],
    ["JPEG as text/html", { "Content-Type": "text/html" }, jpeg],
    ["empty image/jpeg", { "Content-Type": "image/jpeg" }, new Uint8Array(0)],
  ];
  return cases.map(([what, headers, body, expectStatus]) => ({
    kind: "upload" as const,
    description: `${name} ${what}`,
    request: req({ headers, body }),
    ...(expectStatus ? { expectStatus } : {}),
  }));
}

/** Traversal out of every route that serves files: /job-files/ at each depth, /app/, the API. */
function traversalCases(t: FuzzTargets): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const folders = new Set<string>(["/job-files/", "/app/", "/", "/api/v3/", "/api/v3/tasks/"]);
  for (const url of t.fileUrls) {
    const parts = url.split("/");
    for (let i = 2; i < parts.length; i++) folders.add(`${parts.slice(0, i).join("/")}/`);
  }
  const passwdUps = t.storageDepth + 4;
  for (const folder of folders) {
    const depth = folder.startsWith("/job-files/") ? folder.split("/").length - 3 : 0;
    for (const step of UP_STEPS) {
      for (const extra of [1, 2]) {
        cases.push(traversal(folder + climb(step, depth + extra, t.canaryName)));
      }
      cases.push(traversal(folder + climb(step, passwdUps, "etc/passwd")));
    }
    cases.push(traversal(`${folder}%2fetc%2fpasswd`));
    cases.push(traversal(`${folder}/etc/passwd`));
    cases.push(traversal(`${folder}file:%2f%2f%2fetc%2fpasswd`));
    cases.push(traversal(`${folder}%00../../${t.canaryName}`));
  }
  for (const url of t.fileUrls) {
    cases.push(traversal(`${url}%00.jpg`));
    cases.push(traversal(`${url}/../../../../${t.canaryName}`));
    cases.push(traversal(`${url}/..%2f..%2f..%2f..%2f${t.canaryName}`));
    cases.push({
      kind: "file-traversal",
      description: `GET ${url} with a Range beyond its end`,
      request: { method: "GET", target: url, headers: { Range: "bytes=999999999-" } },
    });
  }
  return cases;
}

/** Broken WebSocket upgrades at /ws (not in the OpenAPI document, but served by the Manager). */
function upgradeCases(): FuzzCase[] {
  const key = "dGhlIHNhbXBsZSBub25jZQ==";
  const cases: [string, string, Record<string, string>][] = [
    ["plain GET", "GET", {}],
    [
      "POST",
      "POST",
      {
        Upgrade: "websocket",
        Connection: "Upgrade",
        "Sec-WebSocket-Key": key,
        "Sec-WebSocket-Version": "13",
      },
    ],
    ["no key", "GET", { Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Version": "13" }],
    [
      "version 8",
      "GET",
      { Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "8" },
    ],
    [
      "junk key",
      "GET",
      {
        Upgrade: "websocket",
        Connection: "Upgrade",
        "Sec-WebSocket-Key": "%%%",
        "Sec-WebSocket-Version": "13",
      },
    ],
    ["Upgrade: h2c", "GET", { Upgrade: "h2c", Connection: "Upgrade" }],
  ];
  return cases.map(([what, method, headers]) => ({
    kind: "ws-upgrade" as const,
    description: `${method} /ws ${what}`,
    request: { method, target: "/ws", headers },
  }));
}

const traversal = (target: string): FuzzCase => ({
  kind: "file-traversal",
  description: `GET ${target.slice(0, 200)}`,
  request: { method: "GET", target, headers: {} },
});

/** Deals the cases round-robin over the kinds (each kind shuffled), so any prefix covers every kind. */
export function interleave(byKind: Map<FuzzKind, FuzzCase[]>, prng: Prng): FuzzCase[] {
  const queues = [...byKind.values()].map((list) => prng.shuffle(list));
  const out: FuzzCase[] = [];
  for (let round = 0; out.length < queues.reduce((n, q) => n + q.length, 0); round++) {
    for (const q of queues) {
      const c = q[round];
      if (c) out.push(c);
    }
  }
  return out;
}

/**
 * `count` random cases for runs larger than the systematic set: a systematic case (not a huge
 * one) with more damage on top: junk in the query, another content type, three random bytes in
 * the body, or another method.
 */
export function randomCases(systematic: readonly FuzzCase[], count: number, prng: Prng): FuzzCase[] {
  const pool = systematic.filter((c) => c.kind !== "huge-body" && c.kind !== "upload");
  return Array.from({ length: count }, () => {
    const base = prng.pick(pool);
    const request: RawRequest = { ...base.request, headers: { ...base.request.headers } };
    let description = base.description;
    switch (prng.int(4)) {
      case 0: {
        const junk = `${prng.pick(["x", "limit", "__proto__"])}=${prng.pick(BAD_PARAM_VALUES).slice(0, 100)}`;
        request.target += `${request.target.includes("?") ? "&" : "?"}${junk}`;
        description += " + query junk";
        break;
      }
      case 1:
        request.headers["Content-Type"] = prng.pick([
          "application/json",
          "text/plain",
          "",
          "application/json;;;",
        ]);
        description += ` + Content-Type "${request.headers["Content-Type"]}"`;
        break;
      case 2:
        if (request.body instanceof Uint8Array && request.body.length > 2) {
          const body = Buffer.from(request.body);
          for (let i = 0; i < 3; i++) body[prng.int(body.length)] = prng.int(256);
          request.body = body;
          description += " + 3 random bytes";
        }
        break;
      default:
        request.method = prng.pick(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);
        description = `${request.method} instead: ${description}`;
    }
    return { kind: "random" as const, description, request };
  });
}
