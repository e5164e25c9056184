import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import type { BlocklistKind } from '#shared/db/entities/guild-moderation.ts';
import { withTransaction, type Db, type SqlStatement } from '#shared/db/pool.ts';
import { insertAudit } from '#shared/db/sql/audit.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { parsePayload } from '#shared/queue/contracts.ts';
import { wakeGenerate } from '#shared/queue/wake.ts';
import { blocklistLimits, blocklistPatternProblem, type BlocklistEntry } from './blocklist.ts';
import {
  deleteBlock, disableModelInGuild, enableModelInGuild, insertBlock, listBlocklist, lockGuildSettings, releaseHeld, setPaused,
  type GuildSettingsRow,
} from './sql.ts';

// Every change a guild's moderators make, each with its audit_log row (who, before, after) in the
// same transaction: the change and its record commit together or not at all.

/** Who made a change, as written to audit_log. */
export const discordActor = (userId: string) => `discord:${userId}`;

async function run<R extends pg.QueryResultRow>(db: Db, stmt: SqlStatement): Promise<R[]> {
  return (await db.executeSql<R>(stmt.text, stmt.values, stmt.name)).rows;
}

/** Locks the guild's settings row (creating it), which orders every moderation change of one guild. */
async function lockGuild(db: Db, guildId: string): Promise<GuildSettingsRow> {
  const [create, select] = lockGuildSettings(guildId);
  await run(db, create!);
  return (await run<GuildSettingsRow>(db, select!))[0]!;
}

const pauseView = (r: GuildSettingsRow) => ({ paused: r.paused, pauseReason: r.pauseReason });

export interface PauseChange {
  before: { paused: boolean; pauseReason: string | null };
  after: { paused: boolean; pauseReason: string | null };
  /** Held generations sent back to the scheduler (resume only). */
  released: number;
}

export async function pauseGuild(pool: pg.Pool, guildId: string, reason: string | null, actor: string): Promise<PauseChange> {
  return withTransaction(pool, async (db) => {
    const before = pauseView(await lockGuild(db, guildId));
    const after = pauseView((await run<GuildSettingsRow>(db, setPaused(guildId, true, reason)))[0]!);
    await run(db, insertAudit({ actor, action: 'guild.pause', entity: 'guild_settings', entityId: guildId, before, after }));
    return { before, after, released: 0 };
  });
}

/**
 * Resumes a guild: clears the pause and, in the same transaction, sends a `generate` job again for
 * every generation the scheduler held meanwhile (each user's oldest first, as at enqueue), then
 * wakes the workers.
 */
export async function resumeGuild(pool: pg.Pool, boss: PgBoss, guildId: string, actor: string): Promise<PauseChange> {
  const change = await withTransaction(pool, async (db) => {
    const before = pauseView(await lockGuild(db, guildId));
    const after = pauseView((await run<GuildSettingsRow>(db, setPaused(guildId, false, null)))[0]!);
    const held = await run<{ id: string; rank: number }>(db, releaseHeld(guildId));
    if (held.length) {
      await boss.insert('generate', held.map((h) => ({ data: parsePayload('generate', { generationId: h.id }), priority: -h.rank })), { db: db as never });
    }
    await run(db, insertAudit({ actor, action: 'guild.resume', entity: 'guild_settings', entityId: guildId, before, after: { ...after, released: held.length } }));
    return { before, after, released: held.length };
  });
  if (change.released) wakeGenerate(pool);
  return change;
}

export async function listBlocks(db: Db, guildId: string): Promise<BlocklistEntry[]> {
  return run<BlocklistEntry>(db, listBlocklist(guildId));
}

/** Adds a word or regex; refuses a pattern that cannot be used (see blocklistPatternProblem). false = already listed. */
export async function addBlock(pool: pg.Pool, guildId: string, kind: BlocklistKind, pattern: string, createdBy: string): Promise<boolean> {
  const problem = blocklistPatternProblem(kind, pattern);
  if (problem) throw new AppError(ErrorCode.Validation, problem, { expose: true, details: { kind } });
  return withTransaction(pool, async (db) => {
    await lockGuild(db, guildId);
    const existing = (await listBlocks(db, guildId)).find((e) => e.kind === kind && e.pattern === pattern);
    if (!existing) {
      const added = await run<BlocklistEntry>(db, insertBlock(guildId, kind, pattern, createdBy, blocklistLimits.entriesPerGuild));
      if (!added.length) {
        throw new AppError(ErrorCode.Conflict, `This server's blocklist is full (${blocklistLimits.entriesPerGuild} entries). Remove some first.`, { expose: true });
      }
    }
    await run(db, insertAudit({
      actor: discordActor(createdBy), action: 'blocklist.add', entity: 'guild_blocklist', entityId: guildId,
      before: existing ? { kind, pattern } : null, after: { kind, pattern },
    }));
    return !existing;
  });
}

/** false = it was not listed. */
export async function removeBlock(pool: pg.Pool, guildId: string, kind: BlocklistKind, pattern: string, actor: string): Promise<boolean> {
  return withTransaction(pool, async (db) => {
    await lockGuild(db, guildId);
    const removed = await run<BlocklistEntry>(db, deleteBlock(guildId, kind, pattern));
    await run(db, insertAudit({
      actor, action: 'blocklist.remove', entity: 'guild_blocklist', entityId: guildId, before: removed.length ? { kind, pattern } : null, after: null,
    }));
    return removed.length > 0;
  });
}

/** Switches a model on or off in one guild. false = it already was. */
export async function setModelInGuild(pool: pg.Pool, guildId: string, modelId: number, enabled: boolean, actor: string): Promise<boolean> {
  return withTransaction(pool, async (db) => {
    await lockGuild(db, guildId);
    const changed = (await run(db, enabled ? enableModelInGuild(guildId, modelId) : disableModelInGuild(guildId, modelId))).length > 0;
    await run(db, insertAudit({
      actor, action: enabled ? 'guild_model.enable' : 'guild_model.disable', entity: 'guild_model', entityId: `${guildId}:${modelId}`,
      before: { enabled: changed ? !enabled : enabled }, after: { enabled },
    }));
    return changed;
  });
}
