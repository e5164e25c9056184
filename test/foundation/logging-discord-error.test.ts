import { randomBytes } from 'node:crypto';
import { DiscordAPIError, type REST } from '@discordjs/rest';
import { Routes } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDiscordRest } from '#shared/discord/rest.ts';
import { startDiscordSim, TOKEN_LIFETIME_MS, type DiscordSim } from '#sim/discord/index.ts';
import { byteRunsIn, captureLogs } from '../support/log-capture.ts';

// A real failed delivery: @discordjs/rest PATCHes the original reply with an image through an
// interaction token the stand-in Discord rejects, and the product logger logs the thrown error.
let sim: DiscordSim;
let rest: REST;
const image = randomBytes(300_000);

beforeAll(async () => {
  sim = await startDiscordSim();
  rest = createDiscordRest(sim.apiBase, sim.token);
  await rest.put(Routes.applicationCommands(sim.applicationId), { body: [{ name: 'imagine', description: 'Generate an image' }] });
});
afterAll(() => sim.close());

/** An acknowledged (deferred) /imagine whose token then lives past Discord's 15 minutes. */
async function expiredToken(): Promise<string> {
  const sent = sim.sendCommand({ user: sim.defaultUser!, guild: sim.defaultGuild!, name: 'imagine' });
  await rest.post(Routes.interactionCallback(sent.id, sent.token), { body: { type: 5 }, auth: false });
  sim.advanceClock(TOKEN_LIFETIME_MS + 1);
  return sent.token;
}

async function failedEdit(token: string): Promise<DiscordAPIError> {
  const err = await rest
    .patch(Routes.webhookMessage(sim.applicationId, token, '@original'), {
      body: { content: 'done', attachments: [{ id: '0', filename: 'result_0.png' }] },
      files: [{ name: 'result_0.png', data: image, contentType: 'image/png' }],
      auth: false,
    })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DiscordAPIError);
  return err as DiscordAPIError;
}

const cases = [
  { what: 'an expired token (401 Invalid Webhook Token)', token: expiredToken, status: 401, code: 50027 },
  { what: 'an unknown token (404 Unknown Webhook)', token: async () => `${randomBytes(30).toString('base64url')}:${randomBytes(24).toString('base64url')}`, status: 404, code: 10015 },
];

describe('a DiscordAPIError from a real failed webhook edit, logged', () => {
  test.each(cases)('$what: no token and no image bytes, but status, code, method and route', async ({ token: makeToken, status, code }) => {
    const token = await makeToken();
    const err = await failedEdit(token);
    // The unsanitised error does carry both: this is what the logger must keep out.
    expect(err.url).toContain(encodeURIComponent(token).slice(0, 20));
    expect(err.requestBody.files?.[0]?.data).toBe(image);

    const { lines, logger } = captureLogs();
    logger.child({ queue: 'deliver', generationId: 'g-1' }).error({ err }, 'job failed');
    logger.warn(err);
    logger.error({ error: err, attempt: 2 }, 'could not deliver');
    expect(lines).toHaveLength(3);

    const [head, tail] = token.split(':') as [string, string];
    for (const line of lines) {
      for (const secret of [token, encodeURIComponent(token), head, tail, sim.token]) expect(line).not.toContain(secret);
      expect(byteRunsIn(line, image)).toEqual([]);
      expect(line.length).toBeLessThan(8_000);
    }
    const logged = JSON.parse(lines[0]!).err;
    expect(logged).toMatchObject({
      type: 'DiscordAPIError',
      status,
      code,
      method: 'PATCH',
      url: `${sim.apiBase}/v10/webhooks/${sim.applicationId}/[redacted]/messages/%40original`,
      requestBody: { files: [{ name: 'result_0.png', data: `[binary ${image.length} bytes]`, contentType: 'image/png' }], json: { content: 'done' } },
    });
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 'warn', msg: err.message, err: { status, code } });
  });
});
