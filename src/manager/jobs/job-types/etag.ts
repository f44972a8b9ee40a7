// Job-type etags: SHA-1 of the job type as Go's encoding/json writes it, so the value matches
// Flamenco's byte for byte and Blender add-on caches stay valid across a Manager swap.
import { createHash } from "node:crypto";
import type { AvailableJobType } from "./types";

/** Go orders map keys (and our struct fields, which are alphabetical) by UTF-8 bytes. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

const GO_EXTRA_ESCAPES: Record<string, string> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};

/** Like JSON.stringify, plus Go's HTML-safe escapes; a lone surrogate becomes U+FFFD as Go's UTF-8 would. */
function goString(s: string): string {
  let out = "";
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (GO_EXTRA_ESCAPES[ch]) out += GO_EXTRA_ESCAPES[ch];
    else if (code >= 0xd800 && code <= 0xdfff) out += "\\ufffd";
    else out += JSON.stringify(ch).slice(1, -1);
  }
  return `"${out}"`;
}

/** Go's json.Marshal of exported plain data: no whitespace, object keys in byte order. */
export function goJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
      return goString(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new Error(`json: unsupported value: ${value}`);
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) return `[${value.map(goJson).join(",")}]`;
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      entries.sort(([a], [b]) => compareUtf8(a, b));
      return `{${entries.map(([k, v]) => `${goString(k)}:${goJson(v)}`).join(",")}}`;
    }
    default:
      throw new Error(`json: unsupported type: ${typeof value}`);
  }
}

/** Lowercase hex SHA-1 of the job type serialised with its `etag` set to "". */
export function computeEtag(jobType: Omit<AvailableJobType, "etag">): string {
  return createHash("sha1")
    .update(goJson({ ...jobType, etag: "" }))
    .digest("hex");
}
