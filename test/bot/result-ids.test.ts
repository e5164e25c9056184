import { describe, expect, test } from 'vitest';
import { CustomIdAction, decodeCustomId, encodeCustomId, maxCustomIdLength, pageId, parsePageId } from '#bot/custom-id.ts';
import { inert } from '#bot/embeds/inert-text.ts';
import { decodeHistoryTarget, encodeHistoryTarget } from '#bot/services/history-position.ts';

const id = '0b0c2b52-4a7b-4b8e-9c1a-1234567890ab';

describe('result and history custom ids', () => {
  test('page ids carry the generation and image index; leading zeros, negatives and other shapes are refused', () => {
    const raw = encodeCustomId(CustomIdAction.Page, pageId(id, 3));
    expect(raw).toBe(`page:v1:${id}.3`);
    expect(parsePageId(decodeCustomId(raw).id)).toEqual({ generationId: id, index: 3 });
    for (const bad of [`page:v1:${id}.03`, `page:v1:${id}.-1`, `page:v1:${id}`, `page:v1:${id}.1000`, `page:v2:${id}.1`, `page:v1:${id.toUpperCase()}.1`]) {
      expect(() => decodeCustomId(bad)).toThrow(/not one of ours/);
    }
  });

  test('history positions round-trip under the custom id cap, at millisecond precision, with filters', () => {
    const target = { status: 'cancel_requested' as const, modelId: 123456789, from: { direction: 'newer' as const, createdAt: new Date('2026-11-30T00:59:01.123Z'), id } };
    const raw = encodeCustomId(CustomIdAction.History, encodeHistoryTarget(target));
    expect(raw.length).toBeLessThanOrEqual(maxCustomIdLength);
    expect(decodeHistoryTarget(decodeCustomId(raw).id)).toEqual(target);
    const plain = { status: null, modelId: null, from: { direction: 'older' as const, createdAt: new Date(0 + 1), id } };
    expect(decodeHistoryTarget(decodeCustomId(encodeCustomId(CustomIdAction.History, encodeHistoryTarget(plain))).id)).toEqual(plain);
    expect(() => decodeHistoryTarget(decodeCustomId(`gens:v1:o.nonsense.-.abc.${id.replace(/-/g, '')}`).id)).toThrow(/not one of ours/);
  });

  test('inert text: markdown escaped, every mention form broken', () => {
    expect(inert('**bold** _it_ `code` @everyone @here <@123> <@&456> <#789>')).toBe(
      '\\*\\*bold\\*\\* \\_it\\_ \\`code\\` @\u200beveryone @\u200bhere <\u200b@123> <\u200b@&456> <\u200b#789>',
    );
  });
});
