import { randomBytes } from 'node:crypto';
import { DiscordAPIError, HTTPError, RateLimitError } from '@discordjs/rest';
import { describe, expect, test } from 'vitest';
import { loadConfig, secretValues } from '#shared/config.ts';
import type { Logger } from '#shared/logging.ts';
import { byteRunsIn, captureLogs } from '../support/log-capture.ts';

const botToken = 'MTAxMjM0NTY3ODkwMTIz.GhIjKl.secret-bot-token-value';
const interactionToken = 'aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OTpzZWNyZXQ:c2VjcmV0LXRhaWwtb2YtdGhlLXRva2Vu';
const adminToken = 'admin-token-0123456789abcdef';
const dbPassword = 'Pg-Secret-Pass-9731';
const secrets = [botToken, interactionToken, encodeURIComponent(interactionToken), adminToken, dbPassword];
const image = randomBytes(200_000);
const webhookUrl = `https://discord.com/api/v10/webhooks/100000000000000001/${encodeURIComponent(interactionToken)}/messages/@original`;
const body = {
  files: [{ name: 'result_0.png', data: image, contentType: 'image/png' }],
  body: { content: 'done', attachments: [{ id: 0, filename: 'result_0.png' }], note: `data:image/png;base64,${image.toString('base64')}` },
};

const discordError = () => new DiscordAPIError({ code: 50027, message: 'Invalid Webhook Token' }, 50027, 401, 'PATCH', webhookUrl, body);

function pgError(): Error {
  const err = new Error(`connect ECONNREFUSED for postgres://genonaut:${dbPassword}@db:5432/genonaut`);
  return Object.assign(err, { code: 'ECONNREFUSED', connectionString: `postgres://genonaut:${dbPassword}@db:5432/genonaut`, password: dbPassword });
}

function cyclic(): Record<string, unknown> {
  const a: Record<string, unknown> = { name: 'a', image };
  const err = discordError();
  Object.assign(err.requestBody, { owner: err });
  a.self = a;
  a.err = err;
  return a;
}

const hugeBase64 = image.toString('base64').repeat(19); // ≈ 5 MB

// Each entry logs one hostile line the way product code could.
const hostile: [string, (log: Logger) => void][] = [
  ['DiscordAPIError with url, files and json', (log) => log.error({ err: discordError() }, 'delivery failed')],
  ['DiscordAPIError as the only argument', (log) => log.error(discordError())],
  ['HTTPError', (log) => log.warn({ err: new HTTPError(502, 'Bad Gateway', 'PATCH', webhookUrl, body) }, 'http error')],
  ['RateLimitError', (log) => log.warn({ err: new RateLimitError({ timeToReset: 1, limit: 5, method: 'PATCH', hash: 'h', url: webhookUrl, route: '/webhooks/:id/:token', majorParameter: '1', global: false, retryAfter: 1, sublimitTimeout: 0, scope: 'user' }) }, 'limited')],
  ['error under another key, nested', (log) => log.error({ error: discordError(), context: { failure: { cause: discordError() } } }, 'nested')],
  ['cause chain', (log) => log.error({ err: new Error('deliver failed', { cause: new Error('edit failed', { cause: discordError() }) }) }, 'chain')],
  ['AggregateError', (log) => log.error({ err: new AggregateError([discordError(), pgError()], 'all attempts failed') }, 'aggregate')],
  ['pg-style error with a connection string', (log) => log.error({ err: pgError() }, 'db down')],
  [
    'binary deep inside objects',
    (log) => log.info({ a: { b: { c: [{ d: image }] } }, u8: new Uint8Array(image), ab: image.buffer, view: new DataView(image.buffer), json: image.toJSON(), numbers: Array.from(image), blob: new Blob([image]) }, 'bytes'),
  ],
  ['cycles', (log) => log.info({ obj: cyclic() }, 'cycles')],
  ['5 MB base64 value', (log) => log.info({ payload: hugeBase64, dataUrl: `data:image/png;base64,${hugeBase64}` }, 'big')],
  ['5 MB base64 message', (log) => log.info(`got ${hugeBase64}`)],
  ['5 MB base64 through %s', (log) => log.info('got %s', hugeBase64)],
  ['headers', (log) => log.info({ headers: new Headers({ authorization: `Bot ${botToken}`, cookie: `sid=${adminToken}` }), req: { headers: { Authorization: `Bearer ${adminToken}`, 'X-Api-Key': adminToken } } }, 'headers')],
  ['secret-named keys at any depth', (log) => log.info({ a: { b: { c: { d: { interactionToken, DISCORD_TOKEN: botToken, config: { ADMIN_TOKEN: adminToken, dbPassword } } } } } }, 'keys')],
  ['tokens inside strings', (log) => log.info({ url: `${webhookUrl}?token=${adminToken}`, note: `Authorization: Bot ${botToken}`, conn: `host=db password=${dbPassword}` }, `POST /interactions/123456789012345678/${interactionToken}/callback`)],
  ['child bindings', (log) => log.child({ url: webhookUrl, token: adminToken, image }).info('child')],
  [
    'getters that throw',
    (log) =>
      log.info({ get top(): string { throw new Error(`no ${botToken}`); }, nested: { get deep(): string { throw new Error('no'); }, url: webhookUrl } }, 'getters'),
  ],
  ['a huge wide and deep object', (log) => log.info({ wide: Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, `v${i}`.repeat(50)])), deep: nest(200) }, 'huge')],
];

function nest(depth: number): Record<string, unknown> {
  let v: Record<string, unknown> = { bottom: adminToken };
  for (let i = 0; i < depth; i++) v = { child: v, image };
  return v;
}

describe('logging', () => {
  test('structured JSON with the ids of the work on every child line', () => {
    const { lines, logger } = captureLogs();
    const job = logger.child({ generationId: 'g-1', jobId: 'j-1' });
    job.info('submitted');
    job.warn({ attempt: 2 }, 'retrying');
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed).toHaveLength(2);
    for (const line of parsed) expect(line).toMatchObject({ generationId: 'g-1', jobId: 'j-1' });
    expect(parsed[0]).toMatchObject({ level: 'info', msg: 'submitted' });
  });

  test.each(hostile)('no secret, no bytes, a few KB at most: %s', (_name, write) => {
    const { lines, logger } = captureLogs();
    write(logger);
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(() => JSON.parse(line)).not.toThrow();
    for (const secret of secrets) expect(line).not.toContain(secret);
    expect(byteRunsIn(line, image)).toEqual([]);
    expect(line.length).toBeLessThan(12_000);
  });

  test('the leak detector finds bytes in every form an unsanitised logger writes them', () => {
    const small = image.subarray(0, 3000);
    expect(byteRunsIn(JSON.stringify({ data: small }), small)).not.toEqual([]);
    expect(byteRunsIn(`x${small.subarray(7).toString('base64')}y`, small)).not.toEqual([]);
    expect(byteRunsIn(small.toString('hex'), small)).not.toEqual([]);
    expect(byteRunsIn(`{"data":[${[...small.subarray(100, 120)].join(', ')}]}`, small)).not.toEqual([]);
  });

  test('a DiscordAPIError keeps what helps: status, code, method, the route without the token, file names and sizes', () => {
    const { lines, logger } = captureLogs();
    logger.error({ err: discordError() }, 'delivery failed');
    const { err } = JSON.parse(lines[0]!);
    expect(err).toMatchObject({
      type: 'DiscordAPIError',
      name: 'DiscordAPIError[50027]',
      message: 'Invalid Webhook Token',
      status: 401,
      code: 50027,
      method: 'PATCH',
      url: 'https://discord.com/api/v10/webhooks/100000000000000001/[redacted]/messages/@original',
      rawError: { code: 50027, message: 'Invalid Webhook Token' },
      requestBody: { files: [{ name: 'result_0.png', data: '[binary 200000 bytes]', contentType: 'image/png' }], json: { content: 'done' } },
    });
    expect(err.stack).toMatch(/^DiscordAPIError\[50027\]: Invalid Webhook Token\n\s+at /);
  });

  test('causes and aggregated errors are serialised, each scrubbed', () => {
    const { lines, logger } = captureLogs();
    logger.error({ err: new AggregateError([new Error('first', { cause: pgError() }), discordError()], 'both failed') });
    const { err, msg } = JSON.parse(lines[0]!);
    expect(msg).toBe('both failed');
    expect(err.type).toBe('AggregateError');
    expect(err.errors[0].cause).toMatchObject({ code: 'ECONNREFUSED', password: '[redacted]', connectionString: 'postgres://genonaut:[redacted]@db:5432/genonaut' });
    expect(err.errors[1]).toMatchObject({ status: 401, url: expect.stringContaining('/webhooks/100000000000000001/[redacted]/') });
  });

  test('cycles are cut, not followed or thrown on', () => {
    const { lines, logger } = captureLogs();
    logger.info({ obj: cyclic() });
    const { obj } = JSON.parse(lines[0]!);
    expect(obj.self).toBe('[circular]');
    expect(obj.err.requestBody.owner).toBe('[circular]');
  });

  test('values registered as secrets are replaced wherever they appear; config registers its tokens and URL passwords', () => {
    const keys = { DATABASE_URL: `postgres://genonaut:${dbPassword}@127.0.0.1:5432/genonaut`, ADMIN_TOKEN: 'literal-admin-token-value-0042', LOG_LEVEL: 'info' as const };
    expect(secretValues({ ...keys, COMFYUI_URLS: ['http://u:comfy-pass-0123456@h:8188'] })).toEqual([dbPassword, keys.ADMIN_TOKEN, 'comfy-pass-0123456']);
    const { lines, logger } = captureLogs();
    logger.info(`the value ${keys.ADMIN_TOKEN} and ${dbPassword} appear in plain prose`);
    expect(lines[0]).toContain(keys.ADMIN_TOKEN); // not yet known

    const saved = { ...process.env };
    try {
      Object.assign(process.env, keys);
      loadConfig('admin-api', '/nonexistent/.env');
    } finally {
      for (const k of Object.keys(keys)) if (saved[k] === undefined) delete process.env[k];
      Object.assign(process.env, saved);
    }
    logger.info(`the value ${keys.ADMIN_TOKEN} and ${dbPassword} appear in plain prose`);
    expect(lines[1]).not.toContain(keys.ADMIN_TOKEN);
    expect(lines[1]).not.toContain(dbPassword);
    expect(JSON.parse(lines[1]!).msg).toBe('the value [redacted] and [redacted] appear in plain prose');
  });

  test('short passwords are not replaced literally (they would blank common words) but still leave URLs', () => {
    const { lines, logger } = captureLogs();
    expect(secretValues({ DATABASE_URL: 'postgres://genonaut:genonaut@db/genonaut' })).toEqual(['genonaut']);
    logger.info({ url: 'postgres://genonaut:genonaut@db/genonaut' }, 'genonaut started');
    expect(JSON.parse(lines[0]!)).toMatchObject({ url: 'postgres://genonaut:[redacted]@db/genonaut', msg: 'genonaut started' });
  });

  test('a line for a disabled level is never walked', () => {
    const { lines, logger } = captureLogs('info');
    let reads = 0;
    const watched = {
      get payload() {
        reads += 1;
        return image;
      },
    };
    logger.debug({ watched }, 'not written');
    expect(reads).toBe(0);
    expect(lines).toEqual([]);
    logger.info({ watched }, 'written');
    expect(reads).toBe(1);
  });

  test('a child is made, and its bindings read and sanitised, only when it writes a line at an enabled level', () => {
    const { lines, logger } = captureLogs('info');
    let reads = 0;
    const watched = {
      get url() {
        reads += 1;
        return webhookUrl;
      },
    };
    const job = logger.child({ jobId: 'j-1', watched });
    const request = job.child({ path: '/history' });
    job.debug('not written');
    request.debug({ attempt: 2 }, 'not written either');
    expect(job.isLevelEnabled('debug')).toBe(false);
    expect(reads).toBe(0);
    request.info('written');
    expect(reads).toBe(1);
    job.info('written too');
    expect(reads).toBe(1);
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ jobId: 'j-1', path: '/history', msg: 'written', watched: { url: expect.stringContaining('/webhooks/100000000000000001/[redacted]/') } }),
      expect.objectContaining({ jobId: 'j-1', msg: 'written too' }),
    ]);
    for (const line of lines) expect(line).not.toContain(encodeURIComponent(interactionToken));
  });

  test("an unmade child follows its parent's level, as a pino child does", () => {
    const { lines, logger } = captureLogs('info');
    const job = logger.child({ jobId: 'j-2' });
    logger.level = 'debug';
    expect(job.level).toBe('debug');
    job.debug('now written');
    expect(JSON.parse(lines[0]!)).toMatchObject({ jobId: 'j-2', level: 'debug', msg: 'now written' });
  });
});
