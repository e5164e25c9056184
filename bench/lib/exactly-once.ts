import type pg from 'pg';
import type { ComfySim } from '#sim/comfyui/index.ts';
import type { DiscordSim } from '#sim/discord/index.ts';

export interface ExactlyOnce {
  generations: number;
  /** Generations whose prompt ComfyUI ran 0 times / more than once (any outcome), and runs of prompts nobody asked for. */
  notRun: number;
  ranTwice: number;
  strayRuns: number;
  /** Generations whose result reached Discord 0 times / more than once (distinct channel posts, or result edits with files). */
  notDelivered: number;
  deliveredTwice: number;
  /** One generation delivered more than once: how far apart its deliveries reached Discord. */
  twiceExample: string;
  ok: boolean;
}

/**
 * Counts from the stand-ins' own records, not from our database: every prompt ComfyUI executed
 * (sim/comfyui `executions`) and every result Discord received (sim/discord's request log): a
 * channel post carrying the generation's nonce (distinct message ids, as a member would see them),
 * or an edit of the interaction's reply that carries the image files.
 */
export async function checkExactlyOnce(pool: pg.Pool, sims: ComfySim[], discord: DiscordSim): Promise<ExactlyOnce> {
  const { rows } = await pool.query<{ id: string; prompt: string | null; token: string | null }>(
    `select id, comfy_prompt_id as prompt, interaction_token as token from generation`,
  );
  const runs = new Map<string, number>();
  for (const sim of sims) for (const e of sim.executions) runs.set(e.promptId, (runs.get(e.promptId) ?? 0) + 1);
  const posts = new Map<string, Set<string>>();
  const edits = new Map<string, number>();
  const deliveredAt = new Map<string, number[]>();
  for (const r of discord.requests) {
    if (r.status >= 300) continue;
    if (r.method === 'POST' && r.route === '/channels/{channel_id}/messages') {
      const nonce = String((r.body as { nonce?: unknown } | null)?.nonce ?? '');
      const id = String((r.response as { id?: unknown } | null)?.id ?? '');
      if (!posts.has(nonce)) posts.set(nonce, new Set());
      posts.get(nonce)!.add(id);
      deliveredAt.set(nonce, [...(deliveredAt.get(nonce) ?? []), r.at]);
    } else if (r.method === 'PATCH' && r.files.length > 0 && r.path.endsWith('/messages/@original')) {
      const token = r.path.split('/')[3]!;
      edits.set(token, (edits.get(token) ?? 0) + 1);
      deliveredAt.set(token, [...(deliveredAt.get(token) ?? []), r.at]);
    }
  }
  const result = { generations: rows.length, notRun: 0, ranTwice: 0, strayRuns: 0, notDelivered: 0, deliveredTwice: 0 };
  let twiceExample = '';
  const asked = new Set<string>();
  for (const g of rows) {
    if (g.prompt) asked.add(g.prompt);
    const ran = g.prompt ? (runs.get(g.prompt) ?? 0) : 0;
    if (ran === 0) result.notRun++;
    if (ran > 1) result.ranTwice++;
    const delivered = (posts.get(g.id.replace(/-/g, '').slice(0, 25))?.size ?? 0) + (g.token ? (edits.get(g.token) ?? 0) : 0);
    if (delivered === 0) result.notDelivered++;
    if (delivered > 1) {
      result.deliveredTwice++;
      const times = [...(deliveredAt.get(g.id.replace(/-/g, '').slice(0, 25)) ?? []), ...(g.token ? (deliveredAt.get(g.token) ?? []) : [])].sort((a, b) => a - b);
      twiceExample ||= `generation ${g.id}: ${times.map((t) => `+${t - times[0]!} ms`).join(', ')}`;
    }
  }
  for (const [prompt, n] of runs) if (!asked.has(prompt)) result.strayRuns += n;
  return { ...result, twiceExample, ok: Object.values(result).slice(1).every((v) => v === 0) };
}

export function formatExactlyOnce(e: ExactlyOnce): string {
  return `exactly-once: ${e.generations} generations; ComfyUI ran none ${e.notRun}, twice ${e.ranTwice}, stray ${e.strayRuns}; Discord got none ${e.notDelivered}, twice ${e.deliveredTwice}${e.twiceExample ? ` (e.g. ${e.twiceExample})` : ''} → ${e.ok ? 'ok' : 'VIOLATED'}`;
}
