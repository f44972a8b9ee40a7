// Asymmetric matchers with types: bun's typings give them `any`, which would spread through the
// arrays the tests compare.
import { expect } from "bun:test";

/** expect.objectContaining, typed as the record it stands for. */
export function containing(fields: Record<string, unknown>): Record<string, unknown> {
  return expect.objectContaining(fields) as Record<string, unknown>;
}
