// A Shaman client that follows the Blender add-on's flow (its BAT pack transferrer): ask for the
// requirements, then for each missing file a status check and an upload that may be deferred
// (425: another client is sending it; asked again in the next round), and finally the checkout.
// Used by the integration tests and bench/shaman.ts.
import { createHash } from "node:crypto";

/** The add-on's own limits: rounds of requirements, and deferrals per round. */
const MAX_ROUNDS = 50;
const MAX_DEFERRED = 8;

export interface LocalFile {
  /** Path inside the checkout, forward slashes. */
  path: string;
  /** The contents, or a file on disk to stream (hashed beforehand, read again to upload). */
  data: Uint8Array<ArrayBuffer> | { file: string };
}

export interface Spec {
  sha: string;
  size: number;
  path: string;
}

export interface PackResult {
  checkoutPath: string;
  /** Uploads answered 204 (stored by us), 208 (someone had it), 425 (deferred). */
  stored: number;
  alreadyStored: number;
  deferred: number;
  skippedByStatusCheck: number;
}

export class ShamanClientError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function specOf(f: LocalFile): Promise<Spec> {
  if (f.data instanceof Uint8Array) {
    return { sha: createHash("sha256").update(f.data).digest("hex"), size: f.data.byteLength, path: f.path };
  }
  const hash = createHash("sha256");
  let size = 0;
  const reader = Bun.file(f.data.file).stream().getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    hash.update(r.value);
    size += r.value.byteLength;
  }
  return { sha: hash.digest("hex"), size, path: f.path };
}

/** Non-ASCII names go as an RFC 2047 encoded word, as Flamenco's clients send them. */
function headerSafe(name: string): string {
  return /^[\x20-\x7e]*$/.test(name) ? name : `=?utf-8?b?${Buffer.from(name).toString("base64")}?=`;
}

export function shamanClient(baseUrl: string, headers: Record<string, string> = {}) {
  async function json<T>(method: string, path: string, body: unknown): Promise<T> {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new ShamanClientError(res.status, `${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }

  async function upload(spec: Spec, data: LocalFile["data"], canDefer: boolean): Promise<number> {
    const res = await fetch(`${baseUrl}/api/v3/shaman/files/${spec.sha}/${spec.size}`, {
      method: "POST",
      headers: {
        ...headers,
        "Content-Type": "application/octet-stream",
        "X-Shaman-Can-Defer-Upload": String(canDefer),
        "X-Shaman-Original-Filename": headerSafe(spec.path),
      },
      body: data instanceof Uint8Array ? data : Bun.file(data.file),
    });
    const text = await res.text();
    if (![204, 208, 425].includes(res.status))
      throw new ShamanClientError(res.status, `upload of ${spec.path}: ${res.status} ${text}`);
    return res.status;
  }

  return {
    specOf,
    upload,
    requirements: (files: Spec[]) =>
      json<{ files: (Spec & { status: string })[] }>("POST", "/api/v3/shaman/checkout/requirements", {
        files,
      }),
    checkout: (checkoutPath: string, files: Spec[]) =>
      json<{ checkoutPath: string }>("POST", "/api/v3/shaman/checkout/create", { checkoutPath, files }),

    /** The add-on's whole transfer: uploads what Shaman lacks, then checks out. */
    async pack(files: LocalFile[], checkoutPath: string, specs?: Spec[]): Promise<PackResult> {
      const all = specs ?? (await Promise.all(files.map(specOf)));
      const unique: Spec[] = [];
      const seen = new Set<string>();
      for (const s of all) {
        const key = `${s.sha}/${s.size}/${s.path}`;
        if (!seen.has(key)) unique.push(s);
        seen.add(key);
      }
      const local = new Map(files.map((f) => [f.path, f.data]));
      const result: PackResult = {
        checkoutPath: "",
        stored: 0,
        alreadyStored: 0,
        deferred: 0,
        skippedByStatusCheck: 0,
      };
      let done = false;
      for (let round = 0; round < MAX_ROUNDS && !done; round++) {
        const wanted = (await this.requirements(unique)).files;
        // Unknown files first; those someone else is uploading last.
        let queue = [
          ...wanted.filter((f) => f.status === "unknown"),
          ...wanted.filter((f) => f.status !== "unknown"),
        ];
        if (queue.length === 0) {
          done = true;
          break;
        }
        const deferred = new Set<string>();
        while (queue.length > 0) {
          const spec = queue.shift()!;
          const data = local.get(spec.path);
          if (!data) throw new Error(`Shaman asked for a file we did not send: ${spec.path}`);
          const check = await fetch(`${baseUrl}/api/v3/shaman/files/${spec.sha}/${spec.size}`, { headers });
          const { status } = (await check.json()) as { status: string };
          if (status === "stored") {
            result.skippedByStatusCheck++;
            continue;
          }
          const key = `${spec.sha}/${spec.size}`;
          const canDefer = deferred.size < MAX_DEFERRED && !deferred.has(key) && queue.length > 0;
          const code = await upload(spec, data, canDefer);
          if (code === 425) {
            result.deferred++;
            deferred.add(key);
            queue = queue.sort(() => Math.random() - 0.5);
          } else if (code === 208) result.alreadyStored++;
          else result.stored++;
        }
      }
      if (!done) throw new Error(`files still missing after ${MAX_ROUNDS} rounds`);
      result.checkoutPath = (await this.checkout(checkoutPath, unique)).checkoutPath;
      return result;
    },
  };
}
