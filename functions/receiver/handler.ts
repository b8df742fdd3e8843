// Lambda entry: API Gateway HTTP API (payload 2.0) → Kondado reply, request → ingest queue.
import { receiverConfig } from '../../shared/config.ts';
import { createReceiverHandler, receiverDeps } from './app.ts';

export const handler = createReceiverHandler(receiverDeps(receiverConfig(process.env)));
