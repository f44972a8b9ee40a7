// Reads what the fuzzer needs from the Manager's OpenAPI document: every operation with its path
// and query parameters, its request body schema and content types, and whether it is a worker
// route (worker_auth). Also makes a plausible valid value for a schema, the base that the fuzz
// cases then break one piece at a time.

export interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: boolean | Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  minimum?: number;
  default?: unknown;
  pattern?: string;
}

export interface Parameter {
  name: string;
  in: "path" | "query" | "header";
  schema: Schema;
}

export interface Operation {
  method: string;
  /** The templated path, e.g. `/api/v3/jobs/{job_id}`. */
  path: string;
  parameters: Parameter[];
  /** Content types of the request body, empty when it has none. */
  bodyTypes: string[];
  bodySchema: Schema | null;
  workerAuth: boolean;
  /** The route's own body limit (`x-tablao-max-body-bytes`), null when it keeps the default. */
  maxBodyBytes: number | null;
}

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Resolves `$ref`s (recursively, into plain objects) and merges `allOf`, so schemas read directly. */
function resolver(doc: Record<string, unknown>) {
  const components =
    isRecord(doc.components) && isRecord(doc.components.schemas) ? doc.components.schemas : {};
  const resolve = (node: unknown, depth: number): Schema => {
    if (!isRecord(node) || depth > 20) return {};
    if (typeof node.$ref === "string") {
      return resolve(components[node.$ref.replace("#/components/schemas/", "")], depth + 1);
    }
    const out: Schema = {};
    if (typeof node.type === "string") out.type = node.type;
    if (typeof node.format === "string") out.format = node.format;
    if (typeof node.pattern === "string") out.pattern = node.pattern;
    if (typeof node.minimum === "number") out.minimum = node.minimum;
    if (Array.isArray(node.enum)) out.enum = node.enum as unknown[];
    if ("default" in node) out.default = node.default;
    if (Array.isArray(node.required)) out.required = node.required.filter((r) => typeof r === "string");
    if (isRecord(node.properties)) {
      out.properties = Object.fromEntries(
        Object.entries(node.properties).map(([k, v]) => [k, resolve(v, depth + 1)]),
      );
    }
    if (node.items !== undefined) out.items = resolve(node.items, depth + 1);
    if (typeof node.additionalProperties === "boolean") out.additionalProperties = node.additionalProperties;
    else if (isRecord(node.additionalProperties)) {
      out.additionalProperties = resolve(node.additionalProperties, depth + 1);
    }
    for (const key of ["oneOf", "anyOf"] as const) {
      const list = node[key];
      if (Array.isArray(list)) out[key] = list.map((s) => resolve(s, depth + 1));
    }
    if (Array.isArray(node.allOf)) {
      for (const part of node.allOf.map((s) => resolve(s, depth + 1))) {
        out.type ??= part.type;
        out.format ??= part.format;
        out.enum ??= part.enum;
        if (part.properties) out.properties = { ...out.properties, ...part.properties };
        if (part.required) out.required = [...(out.required ?? []), ...part.required];
      }
    }
    if (!out.type && out.properties) out.type = "object";
    return out;
  };
  return resolve;
}

export function operationsOf(doc: unknown): Operation[] {
  if (!isRecord(doc) || !isRecord(doc.paths)) throw new Error("not an OpenAPI document: no paths");
  const resolve = resolver(doc);
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!isRecord(item)) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!isRecord(op)) continue;
      const parameters: Parameter[] = [];
      for (const p of Array.isArray(op.parameters) ? op.parameters : []) {
        if (!isRecord(p) || typeof p.name !== "string") continue;
        if (p.in !== "path" && p.in !== "query" && p.in !== "header") continue;
        parameters.push({ name: p.name, in: p.in, schema: resolve(p.schema, 0) });
      }
      const content =
        isRecord(op.requestBody) && isRecord(op.requestBody.content) ? op.requestBody.content : {};
      const bodyTypes = Object.keys(content);
      const json = content["application/json"];
      const bodySchema = isRecord(json) ? resolve(json.schema, 0) : null;
      const workerAuth =
        Array.isArray(op.security) && op.security.some((s) => isRecord(s) && "worker_auth" in s);
      const declaredLimit = op["x-tablao-max-body-bytes"];
      const maxBodyBytes = typeof declaredLimit === "number" ? declaredLimit : null;
      ops.push({
        method: method.toUpperCase(),
        path,
        parameters,
        bodyTypes,
        bodySchema,
        workerAuth,
        maxBodyBytes,
      });
    }
  }
  return ops;
}

/** Values that make a body valid where a made-up string would not (a job type that exists, ...). */
export type KnownValues = Record<string, unknown>;

/** A plausible valid value for `schema`; `name` is the property it is for, looked up in `known`. */
export function exampleOf(schema: Schema, known: KnownValues, name = "", depth = 0): unknown {
  if (name in known) return known[name];
  if (schema.default !== undefined) return schema.default;
  if (schema.enum && schema.enum.length > 0) return schema.enum[0];
  const variant = schema.oneOf?.[0] ?? schema.anyOf?.[0];
  if (variant) return exampleOf(variant, known, name, depth);
  switch (schema.type) {
    case "string":
      if (schema.format === "uuid") return known.uuid ?? "00000000-0000-4000-8000-000000000000";
      if (schema.format === "date-time") return new Date().toISOString();
      if (schema.pattern === "^[0-9a-fA-F]{64}$") return "0".repeat(64);
      return "fuzz";
    case "integer":
      return Math.max(1, schema.minimum ?? 1);
    case "number":
      return 1.5;
    case "boolean":
      return true;
    case "array":
      return depth > 6 || !schema.items ? [] : [exampleOf(schema.items, known, "", depth + 1)];
    case "object":
    case undefined: {
      if (depth > 6) return {};
      const out: Record<string, unknown> = {};
      for (const [key, prop] of Object.entries(schema.properties ?? {})) {
        out[key] = exampleOf(prop, known, key, depth + 1);
      }
      return out;
    }
    default:
      return null;
  }
}

/** Every field of `schema` down to `maxDepth`: its path in the body, its schema, whether it is required. */
export function fieldsOf(
  schema: Schema,
  maxDepth = 3,
  prefix: string[] = [],
): { path: string[]; schema: Schema; required: boolean }[] {
  if (prefix.length >= maxDepth) return [];
  const out: { path: string[]; schema: Schema; required: boolean }[] = [];
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    const path = [...prefix, key];
    out.push({ path, schema: prop, required: schema.required?.includes(key) ?? false });
    out.push(...fieldsOf(prop, maxDepth, path));
  }
  return out;
}

/** A deep copy of `body` with the value at `path` replaced (`undefined` deletes it). */
export function withField(body: unknown, path: readonly string[], value: unknown): unknown {
  const copy: unknown = structuredClone(body);
  let node = copy;
  for (const key of path.slice(0, -1)) {
    if (!isRecord(node)) return copy;
    node = node[key];
  }
  const last = path[path.length - 1];
  if (!isRecord(node) || last === undefined) return copy;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}
