// The child process that runs a sync's query (shared/adapters/duckdb/sync-plan-process.ts), from the
// source tree: the local stack and tests fork this. On Lambda the bundle is one file, and the
// handler module plays this part itself (handler.ts).
import { servePlanRequest } from '../../shared/adapters/duckdb/sync-plan-process.ts';

servePlanRequest();
