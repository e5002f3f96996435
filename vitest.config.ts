import { defineConfig } from 'vitest/config';

// unit: pure logic; integration: real PostgreSQL and Redis (one fresh database and key prefix per file);
// e2e lives in tests/e2e and runs under Playwright's own runner (playwright.config.ts).
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], testTimeout: 20_000 } },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
