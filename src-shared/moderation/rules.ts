import type { Db } from '#shared/db/pool.ts';
import type { BlocklistEntry } from './blocklist.ts';
import { guildRules, modelAccess } from './sql.ts';

/** What a guild's moderators have set with /genadmin (defaults for a guild that set nothing). */
export interface GuildRules {
  guildId: string;
  paused: boolean;
  pauseReason: string | null;
  blocklist: BlocklistEntry[];
  disabledModelIds: number[];
}

/** A model as moderation sees it. `allowedRoles` empty = everyone. */
export interface ModelAccess {
  id: number;
  kind: string;
  fileName: string;
  displayName: string;
  allowedRoles: string[];
}

export async function loadGuildRules(db: Db, guildIds: readonly string[]): Promise<Map<string, GuildRules>> {
  const unique = [...new Set(guildIds)];
  if (!unique.length) return new Map();
  const stmt = guildRules(unique);
  const { rows } = await db.executeSql<GuildRules>(stmt.text, stmt.values, stmt.name);
  return new Map(rows.map((r) => [r.guildId, r]));
}

export async function loadModelAccess(db: Db, models: readonly { kind: string; fileName: string }[]): Promise<ModelAccess[]> {
  if (!models.length) return [];
  const stmt = modelAccess(models);
  return (await db.executeSql<ModelAccess>(stmt.text, stmt.values, stmt.name)).rows;
}
