// The tests StrykerJS runs against each mutant (stryker.config.mjs, `npm run mutation`): the fast unit
// files that exercise the modules it mutates. No global setup (none of them serves the console), and
// no emulators: a mutant run must take seconds.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/unit/signatures.test.ts',
      'test/unit/signatures/**/*.test.ts',
      'test/unit/process-verification.test.ts',
      'test/unit/request-capture.test.ts',
      'test/unit/request-capture/**/*.test.ts',
      'test/unit/lake-and-auth.test.ts',
      'test/unit/credentials.test.ts',
      'test/unit/credential-names.test.ts',
      'test/unit/api/pagination.test.ts',
      'test/unit/outbound/**/*.test.ts',
      'test/unit/sync/diff.test.ts',
      'test/unit/sync/diff-sql.test.ts',
      'test/unit/local-network.test.ts',
    ],
    testTimeout: 30_000,
    env: { HOOKLAKE_LOG_LEVEL: 'silent' },
  },
});
