// The header in which Tablao's worker sends the Manager's worker registration secret; shared so
// the two programs cannot drift apart. Flamenco's worker never sends it.
export const REGISTRATION_SECRET_HEADER = "X-Tablao-Registration-Secret";
