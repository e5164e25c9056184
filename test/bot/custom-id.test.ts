import { describe, expect, test } from 'vitest';
import { ErrorCode } from '#shared/errors.ts';
import { CustomIdAction, decodeCustomId, encodeCustomId, maxCustomIdLength } from '#bot/custom-id.ts';
import { decodeCarry, encodeCarry } from '#bot/interactions/imagine-carry.ts';

const uuid = '3f1c2a4e-9b7d-4c1e-8f00-0123456789ab';

describe('custom_id codec', () => {
  test('round trip: encode then decode gives back action, version and id', () => {
    const raw = encodeCustomId(CustomIdAction.Cancel, uuid);
    expect(raw).toBe(`cancel:v1:${uuid}`);
    expect(decodeCustomId(raw)).toEqual({ action: 'cancel', version: 1, id: uuid });
    expect(raw.length).toBeLessThan(100);
  });

  test('an id that would exceed the length cap is refused when building, with CustomIdTooLong', () => {
    expect(() => encodeCustomId(CustomIdAction.ImagineModal, 'a'.repeat(maxCustomIdLength))).toThrow(expect.objectContaining({ code: ErrorCode.CustomIdTooLong }));
  });

  test.each([
    ['unknown version', `cancel:v2:${uuid}`],
    ['unknown action', `explode:v1:${uuid}`],
    ['malformed', 'cancel'],
    ['malformed id', 'cancel:v1:../../etc'],
    ['tampered uuid', `cancel:v1:${uuid.slice(0, -1)}Z`],
    ['empty', ''],
    ['over 100 chars', `cancel:v1:${'a'.repeat(120)}`],
  ])('%s is rejected as CustomIdTampered, exposed to the user', (_why, raw) => {
    expect(() => decodeCustomId(raw)).toThrow(expect.objectContaining({ code: ErrorCode.CustomIdTampered, expose: true }));
  });
});

describe('imagine modal carry', () => {
  test('round trip of every carried option, well under the length cap with a 20-digit seed', () => {
    const carry = { modelId: 123456, size: { width: 1216, height: 832 }, steps: 150, cfg: 7.25, sampler: 'dpmpp_2m_sde_gpu', scheduler: 'karras', seed: '18446744073709551615', batch: 4, workflowId: 999999999 };
    const id = encodeCarry(carry);
    expect(encodeCustomId(CustomIdAction.ImagineModal, id).length).toBeLessThanOrEqual(maxCustomIdLength);
    expect(decodeCarry(id)).toEqual({ model: '#123456', size: '1216x832', steps: 150, cfg: 7.25, sampler: 'dpmpp_2m_sde_gpu', scheduler: 'karras', seed: '18446744073709551615', batch: 4, workflow: '#999999999' });
  });

  test('an unreadable carry is CustomIdTampered', () => {
    expect(() => decodeCarry('m12_zz')).toThrow(expect.objectContaining({ code: ErrorCode.CustomIdTampered }));
    expect(() => decodeCarry('t1.5')).toThrow(expect.objectContaining({ code: ErrorCode.CustomIdTampered }));
  });
});
