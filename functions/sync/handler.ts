// Lambda entry: sync-queue messages (schedule ticks, runs, completion checks) → the sync engine;
// compaction messages → the lake's compaction.
// The bundle is one file, so it is also the program of a run's query process: started with
// PLAN_PROCESS_ENV set, it serves that one query (shared/adapters/duckdb/sync-plan-process.ts) and
// composes nothing else (the child's environment holds no configuration).
import { fileURLToPath } from 'node:url';
import { isPlanProcess, servePlanRequest } from '../../shared/adapters/duckdb/sync-plan-process.ts';
import { syncConfig } from '../../shared/config.ts';
import { createSyncEngine } from '../../shared/services/syncs/engine.ts';
import { createSyncHandler, syncEngineDeps } from './app.ts';

const planProcess = isPlanProcess();
if (planProcess) servePlanRequest();

const deps = planProcess ? undefined : syncEngineDeps(syncConfig(process.env), fileURLToPath(import.meta.url));
export const handler = deps === undefined ? undefined : createSyncHandler(createSyncEngine(deps), deps.compaction);
