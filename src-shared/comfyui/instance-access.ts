/** How to reach each ComfyUI instance beyond its base URL: the reverse proxy's Authorization header. */
import type { Db } from '#shared/db/pool.ts';
import { instanceAuthorizations, setInstanceAuthorizations } from '#shared/db/sql/instances.ts';
import { authorizationSecrets } from '#shared/redaction/authorization.ts';
import { registerSecrets } from '#shared/redaction/scrub-text.ts';

/** Base URL (no trailing slash) → Authorization header, from the instance table; the values become known secrets. */
export async function loadInstanceAuthorizations(db: Db): Promise<Map<string, string>> {
  const { rows } = await db.executeSql<{ baseUrl: string; proxyAuthorization: string }>(instanceAuthorizations().text, []);
  registerSecrets(rows.flatMap((r) => authorizationSecrets(r.proxyAuthorization)));
  return new Map(rows.map((r) => [r.baseUrl.replace(/\/+$/, ''), r.proxyAuthorization]));
}

/** Writes configured headers (COMFYUI_AUTHORIZATIONS) onto the seeded instance rows. */
export async function storeConfiguredAuthorizations(db: Db, byUrl: Record<string, string>): Promise<void> {
  if (Object.keys(byUrl).length === 0) return;
  const statement = setInstanceAuthorizations(byUrl);
  await db.executeSql(statement.text, statement.values);
}
