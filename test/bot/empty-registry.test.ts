import { afterAll, beforeAll, expect, test } from 'vitest';
import { MessageFlags } from 'discord-api-types/v10';
import { startE2E, type E2E } from '../support/e2e.ts';

let e2e: E2E;

beforeAll(async () => {
  // A bot running before any scheduler discovered a model: the registry is empty.
  e2e = await startE2E({ seedModels: false });
});
afterAll(async () => {
  await e2e?.stop();
});

type Body = { flags?: number; embeds?: { title?: string; description?: string }[]; choices?: { name: string; value: string }[] };
const body = (r: { data?: unknown }) => (r.data ?? {}) as Body;

async function imagineAnswer(): Promise<Body> {
  const { response } = await e2e.playUser().imagine({ prompt: 'a quiet harbour' });
  expect(response.type).toBe(4);
  return body(response);
}

test('empty registry → "being discovered"; models but none enabled → "ask an operator"; enabled → queued', async () => {
  const empty = await imagineAnswer();
  expect(empty.flags! & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
  expect(empty.embeds?.[0]?.description).toBe('Models are still being discovered. Try again in a few seconds.');

  const { rows } = await e2e.db.pool.query<{ id: number }>(
    `insert into model (kind, file_name, display_name, enabled, available, source) values ('checkpoint', 'new.safetensors', 'new', false, true, 'discovered') returning id`,
  );
  const disabled = await imagineAnswer();
  expect(disabled.embeds?.[0]?.description).toBe('No checkpoint is enabled yet. Ask an operator to enable one.');

  await e2e.db.pool.query('update model set enabled = true where id = $1', [rows[0]!.id]);
  expect((await imagineAnswer()).embeds?.[0]?.title).toMatch(/^Queued/);
  expect(e2e.sim.violations).toEqual([]);
});

test('autocomplete on an empty registry explains instead of showing an empty list', async () => {
  await e2e.db.pool.query('delete from generation');
  await e2e.db.pool.query('delete from model');
  const player = e2e.playUser();
  for (const focused of ['model', 'lora']) {
    const { response } = await player.autocomplete(focused, '');
    expect(response.type).toBe(8);
    expect(body(response).choices).toEqual([{ name: 'Models are still being discovered. Try again in a few seconds.', value: '' }]);
  }
  // Typed text that matches nothing is just no match.
  expect(body((await player.autocomplete('model', 'sdxl')).response).choices).toEqual([]);
  // Picking the hint sends an empty value, which /imagine reads as "no model given".
  const { response } = await player.imagine({ prompt: 'a harbour', model: '' });
  expect(body(response).embeds?.[0]?.description).toBe('Models are still being discovered. Try again in a few seconds.');
  expect(e2e.sim.violations).toEqual([]);
});
