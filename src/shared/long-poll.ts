// The wire name of the long-poll extension of scheduleTask that Manager and worker share (the
// `wait` query parameter is in the OpenAPI contract; response header names are not typed there).

/** On a long-poll's 204: how many ms the Manager was prepared to hold it (0: it did not wait). */
export const LONG_POLL_HEADER = "X-Tablao-Long-Poll-Ms";
