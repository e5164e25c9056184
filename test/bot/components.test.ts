import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MessageFlags } from 'discord-api-types/v10';
import { startE2E, type E2E } from '../support/e2e.ts';

let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => {
  await e2e?.stop();
});

type Body = {
  flags?: number; title?: string; custom_id?: string; embeds?: { title?: string; description?: string }[];
  components?: { type: number; components?: { custom_id?: string }[]; component?: { custom_id?: string; value?: string } }[];
  choices?: { name: string; value: string }[];
};
const body = (r: { data?: unknown }) => (r.data ?? {}) as Body;
const isEphemeral = (r: { data?: unknown }) => ((body(r).flags ?? 0) & MessageFlags.Ephemeral) === MessageFlags.Ephemeral;

async function status(generationId: string): Promise<string> {
  const { rows } = await e2e.db.pool.query('select status from generation where id = $1', [generationId]);
  return rows[0]?.status;
}

describe('Cancel button', () => {
  test('the owner cancels a request not started yet: it ends at once and its job is cancelled; anyone else is refused', async () => {
    const owner = e2e.playUser();
    const stranger = e2e.playUser();
    const queued = await owner.imagine({ prompt: 'to be cancelled' });
    const message = queued.message()!;
    const customId = body(queued.response).components![0]!.components![0]!.custom_id!;
    const generationId = customId.split(':')[2]!;

    const refused = await stranger.click(message, customId);
    expect(refused.response.type).toBe(4);
    expect(isEphemeral(refused.response)).toBe(true);
    expect(body(refused.response).embeds?.[0]?.description).toMatch(/Only the person who asked/);
    expect(await status(generationId)).toBe('queued');

    const done = await owner.click(message, customId);
    expect(done.response.type).toBe(7);
    expect(body(done.response).embeds?.[0]?.title).toBe('Cancelled');
    expect(body(done.response).components).toEqual([]);
    expect(await status(generationId)).toBe('cancelled');
    const jobs = await e2e.db.pool.query(`select state from pgboss.job where name = 'generate' and data->>'generationId' = $1`, [generationId]);
    expect(jobs.rows.map((r) => r.state)).toEqual(['cancelled']);

    const again = await owner.click(message, customId, { componentType: 2 });
    expect(isEphemeral(again.response)).toBe(true);
    expect(body(again.response).embeds?.[0]?.description).toMatch(/already cancelled/);
    expect(e2e.sim.violations).toEqual([]);
  });

  test('cancelling a request already on a GPU asks the scheduler to stop it (cancel_requested)', async () => {
    const owner = e2e.playUser();
    const queued = await owner.imagine({ prompt: 'running when cancelled' });
    const customId = body(queued.response).components![0]!.components![0]!.custom_id!;
    const generationId = customId.split(':')[2]!;
    await e2e.db.pool.query(`update generation set status = 'running' where id = $1`, [generationId]);
    const done = await owner.click(queued.message()!, customId);
    expect(body(done.response).embeds?.[0]?.title).toBe('Cancelling…');
    expect(await status(generationId)).toBe('cancel_requested');
    const again = await owner.click(queued.message()!, customId, { componentType: 2 });
    expect(body(again.response).embeds?.[0]?.description).toMatch(/being cancelled already/);
  });

  test('tampered, unknown-version, unknown-action and unknown-row custom_ids get an ephemeral refusal', async () => {
    const player = e2e.playUser();
    const { message } = await player.imagine({ prompt: 'target' });
    const bad = ['cancel:v9:00000000-0000-4000-8000-000000000000', 'cancel:v1:not-a-uuid', 'explode:v1:x', 'garbage', 'cancel:v1:00000000-0000-4000-8000-000000000000'];
    for (const customId of bad) {
      const { response } = await player.click(message()!, customId, { componentType: 2 });
      expect(response.type).toBe(4);
      expect(isEphemeral(response)).toBe(true);
      expect(body(response).embeds?.[0]?.description).toMatch(/not one of ours|does not belong/);
    }
    expect(e2e.sim.violations).toEqual([]);
  });
});

describe('modal path', () => {
  test('/imagine without a prompt opens the form; submitting it queues like the slash command, carrying the other options', async () => {
    const player = e2e.playUser();
    const opened = await player.imagine({ steps: 12, seed: '42', size: '768x768', sampler: 'dpmpp_2m', model: 'sdxl_base.safetensors', lora: 'watercolor.safetensors', lora_strength: 0.5 });
    expect(opened.response.type).toBe(9);
    const modal = body(opened.response);
    expect(modal.custom_id).toMatch(/^imagine:v1:/);
    const lorasField = modal.components!.find((c) => c.component?.custom_id === 'loras');
    expect(lorasField?.component?.value).toBe('watercolor.safetensors:0.5');

    const submitted = await player.submitModal(modal.custom_id!, {
      prompt: 'a very long and careful prompt '.repeat(20).trim(),
      negative: 'blurry',
      loras: 'watercolor.safetensors:0.3',
    });
    expect(submitted.response.type).toBe(4);
    expect(body(submitted.response).embeds?.[0]?.title).toMatch(/^Queued — #\d+ in line$/);
    const { rows } = await e2e.db.pool.query('select *, seed::text as seed_text from generation where user_id = $1', [player.user.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      steps: 12, seed_text: '42', width: 768, height: 768, sampler: 'dpmpp_2m', negative_prompt: 'blurry', checkpoint: 'sdxl_base.safetensors',
      loras: [{ name: 'watercolor.safetensors', strengthModel: 0.3, strengthClip: 0.3 }],
    });
    expect(rows[0].prompt).toHaveLength(619);
    expect(e2e.sim.violations).toEqual([]);
  });

  test('a bad LoRA list in the form is refused ephemerally and names the field', async () => {
    const player = e2e.playUser();
    const opened = await player.imagine({});
    const { response } = await player.submitModal(body(opened.response).custom_id!, { prompt: 'x', negative: '', loras: 'watercolor.safetensors:9' });
    expect(isEphemeral(response)).toBe(true);
    expect(body(response).embeds?.[0]?.description).toMatch(/`loras` must be strengths from -2 to 2/);
  });

  test('bad options are reported before the form opens', async () => {
    const player = e2e.playUser();
    const { response } = await player.imagine({ size: '99999x1' });
    expect(response.type).toBe(4);
    expect(isEphemeral(response)).toBe(true);
    expect(body(response).embeds?.[0]?.description).toMatch(/`size` must be/);
  });
});

describe('autocomplete', () => {
  test('model choices come from the enabled registry; nsfw ones only in nsfw channels', async () => {
    const player = e2e.playUser();
    const sfw = await player.autocomplete('model', '');
    expect(sfw.response.type).toBe(8);
    expect(body(sfw.response).choices?.map((c) => c.value)).toEqual(['sdxl_base.safetensors']);
    const nsfw = await player.autocomplete('model', '', {}, { channel: e2e.nsfwChannel });
    expect(body(nsfw.response).choices?.map((c) => c.value).sort()).toEqual(['after_dark.safetensors', 'sdxl_base.safetensors']);
    const typed = await player.autocomplete('lora', 'water');
    expect(body(typed.response).choices).toEqual([{ name: 'watercolor — watercolor.safetensors', value: 'watercolor.safetensors' }]);
    await e2e.db.pool.query(`update model set enabled = false where kind = 'lora'`);
    const disabled = await player.autocomplete('lora', 'water');
    expect(body(disabled.response).choices).toEqual([]);
    await e2e.db.pool.query(`update model set enabled = true where kind = 'lora'`);
  });

  test('sampler and size suggestions are capped at 25 and filtered by what was typed', async () => {
    const player = e2e.playUser();
    const all = await player.autocomplete('sampler', '');
    expect(body(all.response).choices).toHaveLength(25);
    const dpm = await player.autocomplete('sampler', 'dpmpp_2m_s');
    expect(body(dpm.response).choices?.[0]?.value).toBe('dpmpp_2m_sde');
    const size = await player.autocomplete('size', '1216');
    expect(body(size.response).choices?.map((c) => c.value)).toContain('1216x832');
    expect(e2e.sim.violations).toEqual([]);
  });
});
