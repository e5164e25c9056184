import { afterAll, beforeAll, expect, test } from 'vitest';
import { startE2E, type E2E } from '../support/e2e.ts';

let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => {
  await e2e?.stop();
});

const family = '👨‍👩‍👧‍👦'; // 7 code points, 11 UTF-16 units, one grapheme

/** Every string anywhere in a body. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

test('a 2000-character emoji prompt (4000+ UTF-16 units) is queued; the reply Discord receives is whole and within limits', async () => {
  const prompt = `${'😀'.repeat(1000)}${'🇳🇴'.repeat(500)}`; // 2000 code points, as Discord counts max_length
  const { response, message } = await e2e.playUser().imagine({ prompt, negative: '👍🏽'.repeat(1000) });
  const embed = (response.data as { embeds: { title: string; description: string; fields: { name: string; value: string }[] }[] }).embeds[0]!;
  expect(embed.title).toMatch(/^Queued/);
  expect(embed.description.length).toBeLessThanOrEqual(2000);
  expect(prompt.startsWith(embed.description.slice(0, -1))).toBe(true);
  for (const s of strings(response.data)) expect(s.isWellFormed()).toBe(true);
  expect(message()?.embeds[0]?.description).toBe(embed.description);
  expect(e2e.sim.violations).toEqual([]);
  const { rows } = await e2e.db.pool.query('select prompt from generation where prompt = $1', [prompt]);
  expect(rows).toHaveLength(1);
});

test('autocomplete names built from long emoji display names are cut whole to 100 units and accepted', async () => {
  const displayName = family.repeat(28); // 196 code points (the column holds 200), 308 units
  const fileName = `${family.repeat(20)}.safetensors`;
  await e2e.db.pool.query(
    `insert into model (kind, file_name, display_name, enabled, available, source) values ('checkpoint', $1, $2, true, true, 'manual')`,
    [fileName, displayName],
  );
  const { response } = await e2e.playUser().autocomplete('model', family);
  const choices = (response.data as { choices: { name: string; value: string }[] }).choices;
  const ours = choices.find((c) => c.name.startsWith(family))!;
  expect(ours).toBeDefined();
  expect(ours.name.length).toBeLessThanOrEqual(100);
  expect(ours.name.isWellFormed()).toBe(true);
  expect(ours.name).toBe(`${family.repeat(9)}…`); // 9 × 11 = 99 units + the ellipsis
  expect(ours.value).toMatch(/^#\d+$/); // the file name is over 100 units, so the id stands in
  expect(e2e.sim.violations).toEqual([]);
});
