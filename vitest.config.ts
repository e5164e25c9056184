import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src-shared/**/*.test.ts', 'bot/**/*.test.ts', 'scheduler/**/*.test.ts', 'admin-api/**/*.test.ts', 'sim/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    // A budget for waits, not a check of speed: on a loaded machine a fault test's 30 s waits need room.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // expect.poll waits for a state; its 1 s default is a timing assertion on a loaded machine.
    expect: { poll: { timeout: 10_000 } },
    // The tests mostly wait (on child processes, stand-ins, Postgres), so one file more than there
    // are cores runs at once; vitest's default (cores - 1) left a 2-core machine at one file at a time.
    // More (4 here) starved the bot past Discord's 3 s deadline when other work loaded the machine.
    maxWorkers: availableParallelism() + 1,
  },
});
