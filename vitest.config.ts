import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // two cores here and in CI: integration suites start servers and spawn kubectl
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
