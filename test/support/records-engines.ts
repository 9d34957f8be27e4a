/**
 * The records test-suite runs against every engine: SQLite always, PostgreSQL on a throw-away cluster when its
 * binaries are installed (skipped with the reason otherwise; CI installs them, so there it always runs).
 *
 * @example
 *   describe.each(recordsEngines())('records on $name', (engine) => {
 *     beforeAll(() => engine.start(), 120_000);
 *     afterAll(() => engine.stop());
 *     it('…', async () => { const records = await engine.open(); … });
 *   });
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { openPostgresRecords } from '../../src/records/postgres.ts';
import { openSqliteRecords } from '../../src/records/sqlite.ts';
import type { RecordsStore } from '../../src/records/types.ts';
import { postgresUnavailable, startPostgres, type PostgresCluster } from './postgres.ts';

export interface RecordsEngine {
  name: 'sqlite' | 'postgres';
  /** Why this engine cannot run here (the suite is skipped and says so), or undefined. */
  skip: string | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** A fresh, empty records store. */
  open(options?: { now?: () => Date }): Promise<RecordsStore>;
}

export function recordsEngines(): RecordsEngine[] {
  let sqliteCount = 0;
  let directory: string | undefined;
  const sqlite: RecordsEngine = {
    name: 'sqlite',
    skip: undefined,
    async start() {
      const { mkdtemp } = await import('node:fs/promises');
      const { tmpdir } = await import('node:os');
      const path = await import('node:path');
      directory = await mkdtemp(path.join(tmpdir(), 'kefu-records-engine-'));
    },
    async stop() {
      const { rm } = await import('node:fs/promises');
      if (directory) await rm(directory, { recursive: true, force: true });
    },
    async open(options = {}) {
      return openSqliteRecords({ path: `${directory ?? '.'}/records-${++sqliteCount}.db`, ...options });
    },
  };
  let cluster: PostgresCluster | undefined;
  const postgres: RecordsEngine = {
    name: 'postgres',
    skip: postgresUnavailable(),
    async start() {
      cluster = await startPostgres();
    },
    async stop() {
      await cluster?.stop();
    },
    async open(options = {}) {
      if (!cluster) throw new Error('start() the engine first');
      return openPostgresRecords({ url: await cluster.createDatabase(), startupRetryMs: 0, ...options });
    },
  };
  return [sqlite, postgres];
}

/**
 * Defines `suite` once per engine, titled `<title> on <engine>` (skipped, saying why, where the engine cannot run
 * here), with the engine started before its tests and stopped after; `started` hands the running engine to the file.
 *
 * @example
 *   let engine: RecordsEngine;
 *   describeOnEachEngine({ title: 'channels', started: (running) => (engine = running), suite: defineSuite });
 */
export function describeOnEachEngine(options: { title: string; started: (engine: RecordsEngine) => void; suite: () => void }): void {
  for (const candidate of recordsEngines()) {
    const title = `${options.title} on ${candidate.name}`;
    (candidate.skip ? describe.skip : describe)(candidate.skip ? `${title} (skipped: ${candidate.skip})` : title, () => {
      beforeAll(async () => {
        options.started(candidate);
        await candidate.start();
      }, 120_000);
      afterAll(() => candidate.stop());
      options.suite();
    });
  }
}
