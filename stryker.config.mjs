// Mutation testing (`npm run mutation`) of the modules that decide security and delivery: each
// mutant must make a test fail. Survivors that no test can kill are listed in docs/mutation.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  mutate: [
    'shared/domain/ingest/signatures/verify.ts',
    'shared/domain/ingest/signatures/settings.ts',
    'shared/domain/delivery/ssrf.ts',
    'shared/domain/ingest/request-capture.ts',
    'shared/domain/ingest/credential-names.ts',
    'shared/domain/ingest/authorize.ts',
    'shared/domain/ingest/message.ts',
    'shared/domain/credentials.ts',
    'shared/domain/delivery/retry-policy.ts',
    'shared/domain/delivery/suspension.ts',
    'shared/domain/syncs/diff-sql.ts',
    'shared/api/pagination.ts',
    'shared/domain/delivery/payload-encoding.ts',
    'shared/adapters/sqs/sigv4.ts',
  ],
  coverageAnalysis: 'perTest',
  // Stryker rewrites the tsconfig's extends/references paths with the TypeScript 5 JS API, which
  // TypeScript 7 (the project's compiler) does not have; ours has neither, so there is nothing to
  // rewrite: point the option at no file. For the same reason there is no type-checker plugin.
  tsconfigFile: 'tsconfig.not-rewritten.json',
  // The machines have 2 cores.
  concurrency: 2,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: false },
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  thresholds: { high: 90, low: 80, break: null },
};
