import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['runner/**/*.test.ts', 'operator/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two workers: DuckDB already uses several cores inside one test file.
    maxWorkers: 2,
    // Same as bin/raas.js: the AWS SDK's Node 20 notice is noise in every test log.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    reporters: ['default', './test/support/plain-summary-reporter.ts'],
    // The run's one shared control plane, started when the first file asks (test/README.md).
    globalSetup: ['./test/support/global-setup.ts'],
  },
});
