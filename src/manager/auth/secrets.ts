// The secrets of tokens and sessions: made from 32 random bytes, stored only as a SHA-256 hash
// (a fast hash is enough for 256 random bits: there is nothing to guess), compared in constant
// time.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const SECRET_BYTES = 32;
/** Makes a leaked token recognisable (secret scanners, logs) as a Tablao API token. */
export const TOKEN_PREFIX = "tablao_";

/** `prefix` + 32 random bytes in base64url. */
export function newSecret(prefix = ""): string {
  return prefix + randomBytes(SECRET_BYTES).toString("base64url");
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** Constant-time equality of two strings (their lengths may differ, which is not secret). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
