/**
 * One index writer per deployment, across hosts: a session-level PostgreSQL advisory lock held by the writer
 * (`kefu serve` with KEFU_ROLE=writer, or `kefu watch`) for as long as it runs, on a connection of its own. The
 * operating-system writer lock (src/store/writer-lock.ts) only sees processes on the same machine; replicas on
 * several hosts share the database, so the database is where a second writer started by mistake is caught. The
 * server drops the lock when the writer's connection ends (the process died), so it never goes stale.
 */
import pg from 'pg';
import { KefuError } from '../errors/index.ts';
import { ADVISORY_INDEX_WRITER, ADVISORY_NAMESPACE, redactUrl } from './postgres-database.ts';

export interface WriterRole {
  release(): Promise<void>;
}

export interface AcquireWriterRoleOptions {
  url: string;
  /** Who this writer is, e.g. "kefu serve pid 123 on host-a"; shown to a second writer. */
  holder: string;
  /** Called if the connection holding the lock is lost while running (another writer could then start). */
  onLost?: (error: unknown) => void;
}

/**
 * Takes the writer role or throws INDEX_WRITER_RUNNING naming the writer that has it.
 *
 * @example
 *   const role = await acquireWriterRole({ url: config.databaseUrl, holder: `kefu serve pid ${process.pid}` });
 *   ... // on shutdown:
 *   await role.release();
 */
export async function acquireWriterRole(options: AcquireWriterRoleOptions): Promise<WriterRole> {
  const applicationName = `kefu writer: ${options.holder}`.slice(0, 63);
  const client = new pg.Client({ connectionString: options.url, application_name: applicationName, connectionTimeoutMillis: 5000 });
  let released = false;
  client.on('error', (error) => {
    if (!released) options.onLost?.(error);
  });
  try {
    await client.connect();
  } catch (error) {
    throw new KefuError('RECORDS_FAILED', { detail: redactUrl(options.url), cause: error });
  }
  const taken = await client.query<{ taken: boolean }>('SELECT pg_try_advisory_lock($1::integer, $2::integer) AS taken', [ADVISORY_NAMESPACE, ADVISORY_INDEX_WRITER]);
  if (!taken.rows[0]?.taken) {
    const holder = await client.query<{ application_name: string; client_addr: string | null; backend_start: Date }>(
      `SELECT a.application_name, a.client_addr::text AS client_addr, a.backend_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.classid = $1::oid AND l.objid = $2::oid AND l.granted LIMIT 1`,
      [ADVISORY_NAMESPACE, ADVISORY_INDEX_WRITER],
    );
    await client.end().catch(() => undefined);
    const row = holder.rows[0];
    const who = row ? `${row.application_name.replace(/^kefu writer: /, '')}${row.client_addr ? ` from ${row.client_addr}` : ''}, since ${row.backend_start.toISOString()}` : 'another kefu process';
    throw new KefuError('INDEX_WRITER_RUNNING', { detail: who });
  }
  return {
    async release() {
      if (released) return;
      released = true;
      await client.query('SELECT pg_advisory_unlock($1::integer, $2::integer)', [ADVISORY_NAMESPACE, ADVISORY_INDEX_WRITER]).catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}
