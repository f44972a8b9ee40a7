// How times cross the wire: Flamenco's clients expect Go's zero time, not null, for "never".

export const ZERO_TIME = "0001-01-01T00:00:00Z";

/** A time as the wire carries it: ISO 8601 in UTC, or ZERO_TIME for none. */
export const iso = (d: Date | null | undefined) => (d ? d.toISOString() : ZERO_TIME);
