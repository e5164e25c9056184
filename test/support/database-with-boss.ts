import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll } from 'vitest';
import { startBoss } from '#shared/queue/boss.ts';
import { createTestDatabase, type TestDatabase } from './testDatabase.ts';

/** A test file's own database with pg-boss started on it (its schema and queues), both gone after the file. */
export function databaseWithBoss(): { readonly tdb: TestDatabase; readonly boss: PgBoss } {
  const state = {} as { tdb: TestDatabase; boss: PgBoss };
  beforeAll(async () => {
    state.tdb = await createTestDatabase();
    state.boss = await startBoss(state.tdb.url, { supervise: false });
  });
  afterAll(async () => {
    await state.boss?.stop({ graceful: false });
    await state.tdb?.drop();
  });
  return state;
}
