// The tests StrykerJS runs against each mutant (stryker.config.mjs, `npm run mutation`): the fast unit
// files that exercise the modules it mutates. No global setup (none of them serves the console), and
// no emulators: a mutant run must take seconds.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/unit/shared/domain/ingest/signatures/**/*.test.ts',
      'test/unit/shared/services/ingest/process-batch.signatures.test.ts',
      'test/unit/shared/domain/ingest/request-capture*.test.ts',
      'test/unit/shared/domain/ingest/credential-names*.test.ts',
      'test/unit/shared/domain/ingest/authorize.test.ts',
      'test/unit/shared/domain/ingest/message.test.ts',
      'test/unit/shared/domain/lake/objects.test.ts',
      'test/unit/shared/domain/credentials.test.ts',
      'test/unit/shared/api/pagination.test.ts',
      'test/unit/shared/domain/delivery/**/*.test.ts',
      'test/unit/shared/adapters/duckdb/sync-duckdb.test.ts',
      'test/unit/shared/domain/syncs/diff-sql.test.ts',
      'test/unit/infra/local/network.test.ts',
      'test/unit/shared/adapters/sqs/sigv4.test.ts',
    ],
    testTimeout: 30_000,
    env: { HOOKLAKE_LOG_LEVEL: 'silent' },
  },
});
