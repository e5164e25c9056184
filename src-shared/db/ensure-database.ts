import pg from 'pg';

/**
 * Creates the database named in `databaseUrl` when it does not exist yet (as `npm run migrate` and
 * the demo do on a fresh server), connecting to the server's `postgres` database to do so.
 * Returns whether it was created. Needs the CREATEDB right when the database is missing.
 */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!name) return false;
  const probe = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  try {
    await probe.connect();
    return false;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw err;
  } finally {
    await probe.end().catch(() => {});
  }
  url.pathname = name === 'postgres' ? '/template1' : '/postgres';
  const admin = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 10_000 });
  await admin.connect();
  try {
    await admin.query(`create database ${pg.escapeIdentifier(name)}`);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '42P04') return false; // created meanwhile by another migrator
    throw err;
  } finally {
    await admin.end();
  }
}

/**
 * Fails fast (with the driver's own error: 3D000 missing, 42P01 unmigrated, ECONNREFUSED…) when the
 * database is not there or not migrated, so a process says so at start instead of at first use.
 */
export async function probeDatabase(pool: pg.Pool): Promise<void> {
  await pool.query('select 1 from generation limit 0');
}
