import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { createLogger } from '#shared/logging.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', destination }) };
}

describe('logging', () => {
  test('structured JSON with the ids of the work on every child line', () => {
    const { lines, logger } = capture();
    const job = logger.child({ generationId: 'g-1', jobId: 'j-1' });
    job.info('submitted');
    job.warn({ attempt: 2 }, 'retrying');
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed).toHaveLength(2);
    for (const line of parsed) expect(line).toMatchObject({ generationId: 'g-1', jobId: 'j-1' });
    expect(parsed[0]).toMatchObject({ level: 'info', msg: 'submitted' });
  });

  test('tokens never appear: fields, nested fields, URLs, messages and errors', () => {
    const { lines, logger } = capture();
    const botToken = 'MTAxMjM0NTY3ODkwMTIz.GhIjKl.secret-bot-token-value';
    const interactionToken = 'aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OTpzZWNyZXQ';
    const adminToken = 'admin-token-0123456789abcdef';
    logger.info({ token: botToken, interactionToken, config: { ADMIN_TOKEN: adminToken } }, 'fields');
    logger.info({ req: { headers: { authorization: `Bearer ${adminToken}` } } }, 'headers');
    logger.info(`PATCH /api/v10/webhooks/100000000000000001/${interactionToken}/messages/@original`);
    logger.info(`sending Authorization: Bot ${botToken}`);
    logger.error({ err: new Error(`request to /interactions/123456789012345678/${interactionToken}/callback failed`) }, 'boom');
    const all = lines.join('\n');
    expect(all).not.toContain(botToken);
    expect(all).not.toContain(interactionToken);
    expect(all).not.toContain(adminToken);
    expect(all).toContain('[redacted]');
    expect(lines).toHaveLength(5);
  });
});
