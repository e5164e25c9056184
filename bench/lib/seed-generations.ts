import type pg from 'pg';

/**
 * Bulk-inserts `rows` finished generations in one statement, every NOT NULL column filled with
 * realistic widths. Users are skewed (user k gets ~ rows·((k+1)^⅓ − k^⅓)/users^⅓: a few with tens
 * of thousands, the tail with a few dozen); created_at has second precision over 90 days, so a heavy
 * user has some equal timestamps and the id tiebreak is exercised. One connection: setseed must apply.
 */
export async function seedGenerations(client: pg.ClientBase, rows: number, users: number): Promise<void> {
  await client.query('select setseed(0.42)');
  await client.query(
    `insert into generation (id, user_id, guild_id, channel_id, message_id, application_id, interaction_id,
       interaction_token, interaction_token_expires_at, prompt, negative_prompt, checkpoint, loras, vae, width, height,
       batch_size, seed, steps, cfg, sampler, scheduler, denoise, workflow_template, status, progress,
       comfy_instance_id, comfy_prompt_id, generate_job_id, error_code, error_message, attempts, outputs, parent_id,
       created_at, started_at, finished_at, delivered_at, updated_at)
     select id, user_id, (200000000000000000 + u % 300)::text, (300000000000000000 + u % 3000)::text,
       (400000000000000000 + g)::text, '500000000000000000', (600000000000000000 + g)::text,
       null, created_at + interval '15 minutes',
       'a detailed painting of ' || md5(g::text) || ', cinematic lighting, ' || md5((g * 7)::text) || ', highly detailed',
       'blurry, lowres, watermark', 'sdxl_base_' || (g % 4) || '.safetensors',
       case when g % 3 = 0 then '[{"name":"detail.safetensors","strengthModel":0.8,"strengthClip":0.8}]'::jsonb else '[]'::jsonb end,
       null, 1024, 1024, 1, (g * 2654435761)::numeric % 18446744073709551615, 30, 7, 'euler', 'normal', 1, 'txt2img',
       case when g % 50 = 0 then 'failed' else 'succeeded' end, 1,
       null, gen_random_uuid(), gen_random_uuid(),
       case when g % 50 = 0 then 'comfy_error' end, case when g % 50 = 0 then 'node error: out of memory' end, 1,
       case when g % 50 = 0 then '[]'::jsonb else jsonb_build_array(jsonb_build_object(
         'index', 0, 'status', 'stored', 'path', 'u/' || user_id || '/' || id || '/0.png', 'bytes', 1800000 + g % 400000,
         'width', 1024, 'height', 1024, 'sha256', md5(id::text) || md5(user_id),
         'thumbnails', (select jsonb_agg(jsonb_build_object('size', s.size, 'format', s.fmt,
            'path', 'u/' || user_id || '/' || id || '/0-' || s.size || '.' || s.fmt, 'bytes', s.size * 60))
          from (values (256, 'webp'), (512, 'webp'), (1024, 'webp'), (512, 'jpeg')) as s(size, fmt))))
       end,
       null, created_at, created_at + interval '2 seconds', created_at + interval '14 seconds',
       created_at + interval '15 seconds', created_at + interval '15 seconds'
     from (
       select g, u, (100000000000000000 + u)::text as user_id, gen_random_uuid() as id,
         timestamptz '2026-01-01' - make_interval(secs => floor(random() * 90 * 86400)) as created_at
       from (select g, floor($2::int * power(random(), 3))::int as u from generate_series(1, $1::int) as g) as drawn
     ) as r`,
    [rows, users],
  );
}
