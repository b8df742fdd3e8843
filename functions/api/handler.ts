// Lambda entry: API Gateway HTTP API (payload 2.0) → the management API under /v4/.
import { fileURLToPath } from 'node:url';
import { apiConfig } from '../../shared/config.ts';
import { createApiHandler } from './app.ts';

// The console's built files travel beside the bundle (infra copies console/dist to ./console).
export const handler = createApiHandler(apiConfig(process.env), { consoleDir: fileURLToPath(new URL('./console/', import.meta.url)) });
