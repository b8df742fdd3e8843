// Lambda entry: API Gateway HTTP API (payload 2.0) → the management API under /v4/.
import { apiConfig } from '../../shared/config.ts';
import { createApiHandler } from './app.ts';

export const handler = createApiHandler(apiConfig(process.env));
