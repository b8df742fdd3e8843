// How many items one page of a list holds: `limit` of every list route and of the stores' queries.

/** Items per page when the caller names no `limit`. */
export const DEFAULT_LIST_LIMIT = 100;
/** The largest `limit` a caller may ask for. */
export const MAX_LIST_LIMIT = 1000;
