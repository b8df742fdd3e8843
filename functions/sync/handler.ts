// Lambda entry: sync-queue messages (schedule ticks, runs, completion checks) → the sync engine.
import { syncConfig } from '../../shared/config.ts';
import { createSyncEngine } from '../../shared/services/syncs/engine.ts';
import { createSyncHandler, syncEngineDeps } from './app.ts';

export const handler = createSyncHandler(createSyncEngine(syncEngineDeps(syncConfig(process.env))));
