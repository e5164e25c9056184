import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src-shared/**/*.test.ts', 'bot/**/*.test.ts', 'scheduler/**/*.test.ts', 'admin-api/**/*.test.ts', 'sim/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // expect.poll waits for a state; its 1 s default is a timing assertion on a loaded machine.
    expect: { poll: { timeout: 10_000 } },
    // The tests mostly wait (on child processes, stand-ins, Postgres), so twice as many files as
    // cores run at once; vitest's default (cores - 1) left a 2-core machine at one file at a time.
    maxWorkers: Math.min(8, availableParallelism() * 2),
  },
});
