// Explaining a key the configuration does not know: which keys the schema accepts at that
// place, and the one the user most likely meant.

import { distance } from "fastest-levenshtein";
import { z } from "zod";

/** Edits (after lower-casing) that still count as a misspelling; longer keys may be further off. */
const MAX_SUGGESTION_EDITS = 3;
const KEY_CHARS_PER_EDIT = 3;
/** Levels with this many keys or fewer are listed in full when nothing is close. */
const MAX_LISTED_KEYS = 8;

function unwrap(schema: z.ZodType): z.ZodType {
  let node = schema;
  for (;;) {
    if (node instanceof z.ZodDefault || node instanceof z.ZodPrefault || node instanceof z.ZodOptional) {
      node = node.unwrap() as z.ZodType;
    } else if (node instanceof z.ZodPipe) {
      node = node.in as z.ZodType;
    } else {
      return node;
    }
  }
}

/** The keys `schema` accepts in the mapping at `path` (a path into the data, as zod reports it). */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node = unwrap(schema);
  for (const part of path) {
    if (node instanceof z.ZodObject) {
      const child = (node.shape as Record<PropertyKey, z.ZodType | undefined>)[part];
      if (!child) return [];
      node = child;
    } else if (node instanceof z.ZodRecord) {
      node = node.valueType as z.ZodType;
    } else if (node instanceof z.ZodArray) {
      node = node.element as z.ZodType;
    } else {
      return [];
    }
    node = unwrap(node);
  }
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

/** The known key closest to `key`, or undefined when none is close enough to be a misspelling. */
function closestKey(key: string, known: readonly string[]): string | undefined {
  const wanted = key.toLowerCase();
  const allowed = Math.min(MAX_SUGGESTION_EDITS, Math.max(1, Math.floor(key.length / KEY_CHARS_PER_EDIT)));
  let best: { key: string; edits: number } | undefined;
  for (const candidate of known) {
    const edits = distance(wanted, candidate.toLowerCase());
    if (edits <= allowed && (!best || edits < best.edits)) best = { key: candidate, edits };
  }
  return best?.key;
}

/** `unknown key`, with the likely intended key or, on a small level, the keys it has. */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const suggestion = closestKey(key, known);
  if (suggestion !== undefined) return `unknown key (did you mean "${suggestion}"?)`;
  if (known.length > 0 && known.length <= MAX_LISTED_KEYS) {
    return `unknown key (the keys here are ${known.join(", ")})`;
  }
  return "unknown key";
}
