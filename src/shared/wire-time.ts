// How times cross the wire: Flamenco's clients expect Go's zero time, not null, for "never".

export const ZERO_TIME = "0001-01-01T00:00:00Z";
