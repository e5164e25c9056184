import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src-shared/**/*.test.ts', 'bot/**/*.test.ts', 'scheduler/**/*.test.ts', 'admin-api/**/*.test.ts', 'sim/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
