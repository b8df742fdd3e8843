// Lambda entry: API Gateway HTTP API or a function URL (payload 2.0) → Kondado reply, request →
// ingest queue.
import { receiverConfig } from '../../shared/config.ts';
import { CLAIMS_MODULE_FILE, createReceiverHandler, receiverDeps } from './app.ts';
import type * as Claims from './claims.ts';

// claims.ts is bundled on its own beside this bundle (HooklakeFunction's `lazyModules`). The
// specifier is computed, so esbuild leaves the import to run time instead of inlining the S3 client.
const claimsModule = new URL(`./${CLAIMS_MODULE_FILE}`, import.meta.url).href;

export const handler = createReceiverHandler(
  receiverDeps(receiverConfig(process.env), async (aws) => ((await import(claimsModule)) as typeof Claims).claimStore(aws)),
);
