import { defineConfig } from 'vitest/config';

// The browser suite (npm run test:browser): the console in Chromium against the local stack.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    globalSetup: ['test/support/build-console.global.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    env: { HOOKLAKE_LOG_LEVEL: 'silent' },
  },
});
