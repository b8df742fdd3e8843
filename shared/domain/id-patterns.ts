// The shapes of the ids that travel in a management API path, in one place for the API, the CLI
// and the console. Pure and import-free: the console bundles this module for the browser.

/** A pipeline id as a path segment: a positive integer (the API also checks it is a safe integer). */
export const PIPELINE_ID = /^[1-9][0-9]{0,15}$/;
/** `sub_` + 20 hex characters when created; any `sub_` + 8 to 40 letters or digits is accepted. */
export const SUBSCRIPTION_ID = /^sub_[A-Za-z0-9]{8,40}$/;
/** `syn_` + 20 hex characters. */
export const SYNC_ID = /^syn_[0-9a-f]{20}$/;
/** `run_` + the start time (9 base-36 digits) + `_` + 8 hex characters. */
export const RUN_ID = /^run_[0-9a-z]{9}_[0-9a-f]{8}$/;
