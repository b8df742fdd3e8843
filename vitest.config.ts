import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The browser suite runs apart (npm run test:browser, vitest.browser.config.ts).
    exclude: ['test/browser/**', '**/node_modules/**'],
    globalSetup: ['test/support/build-console.global.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One file at a time: the machines have 2 cores, and the outbound tests run the stack in
    // simulated time (a 120× clock), which CPU starvation from a neighbouring file would distort.
    fileParallelism: false,
    env: { HOOKLAKE_LOG_LEVEL: 'silent' },
  },
});
