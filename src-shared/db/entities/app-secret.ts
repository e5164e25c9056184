import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * Secrets every process must share but nobody configured, made once by whichever process needs
 * one first (insert … on conflict do nothing, then select). Today: the key that signs image links.
 */
export const AppSecretEntity = defineEntity({
  name: 'AppSecret',
  tableName: 'app_secret',
  properties: {
    name: p.string().length(64).primary(),
    value: p.text(),
    createdAt: p.datetime(3).defaultRaw('now()'),
  },
});

export type AppSecret = InferEntity<typeof AppSecretEntity>;
