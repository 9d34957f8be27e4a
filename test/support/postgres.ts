/**
 * A throw-away PostgreSQL cluster for tests: Debian's `postgresql` binaries (`/usr/lib/postgresql/<version>/bin`),
 * `initdb` in a temporary folder, the server on a free port (TCP on 127.0.0.1, its unix socket in that folder),
 * stopped and removed by `stop()`. PostgreSQL refuses to run as root, so as root (CI) it runs as the `postgres`
 * user. When the binaries are absent `postgresUnavailable()` says so, and suites skip with that reason.
 *
 * @example
 *   const cluster = await startPostgres();
 *   const url = await cluster.createDatabase();   // a fresh, empty database per test
 *   ...
 *   await cluster.stop();
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';

export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  adminUrl: string;
  port: number;
  /** The folder holding the data, the log and the socket. */
  directory: string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (fast shutdown) and removes the folder. */
  stop(): Promise<void>;
  /** Stops the server without removing anything (to test a database going away); `start()` brings it back. */
  halt(): void;
  start(): void;
}

/** The newest installed PostgreSQL bin folder, or undefined. */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((version) => existsSync(path.join(root, version, 'bin', 'initdb')) && existsSync(path.join(root, version, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

/**
 * Why PostgreSQL tests cannot run here, or undefined when they can. CI sets TEST_REQUIRE_POSTGRES=1 after
 * installing PostgreSQL: then the suites never skip, and a missing PostgreSQL fails them loudly.
 */
export function postgresUnavailable(): string | undefined {
  if (process.env.TEST_REQUIRE_POSTGRES === '1') return undefined;
  if (!postgresBin()) return 'PostgreSQL binaries not found under /usr/lib/postgresql/*/bin (apt-get install -y postgresql)';
  if (process.getuid?.() === 0 && spawnSync('id', ['-u', 'postgres']).status !== 0) return 'running as root and there is no postgres user to run the server as';
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

let databases = 0;

/** Starts a new cluster (about 1-3 s: initdb, then the server). */
export async function startPostgres(): Promise<PostgresCluster> {
  const bin = postgresBin();
  const unavailable = postgresUnavailable();
  if (!bin || unavailable) throw new Error(unavailable ?? 'no PostgreSQL');
  const directory = mkdtempSync(path.join(tmpdir(), 'kefu-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(directory, uid, gid);
  }
  chmodSync(directory, 0o755);
  const run = (command: string, args: string[]): void => {
    const [file, fullArgs] = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(bin, command), ...args]] : [path.join(bin, command), args];
    const result = spawnSync(file, fullArgs, { encoding: 'utf8', cwd: directory });
    if (result.status !== 0) {
      const log = existsSync(path.join(directory, 'pg.log')) ? readFileSync(path.join(directory, 'pg.log'), 'utf8').slice(-2000) : '';
      throw new Error(`${command} failed (${String(result.status)}): ${result.stderr || result.stdout}\n${log}`);
    }
  };
  const data = path.join(directory, 'data');
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
  const port = await freePort();
  // fsync off: a test cluster is thrown away; it only makes the tests faster, never changes what they check.
  const serverOptions = `-p ${port} -k ${directory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 -c shared_buffers=16MB`;
  const start = (): void => run('pg_ctl', ['-D', data, '-o', serverOptions, '-l', path.join(directory, 'pg.log'), '-w', '-t', '60', 'start']);
  const halt = (): void => run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  start();
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let stopped = false;
  return {
    adminUrl,
    port,
    directory,
    start,
    halt,
    async createDatabase(name) {
      const database = name ?? `kefu_${process.pid}_${++databases}`;
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${database}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${database}`;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } catch {
        // already stopped (halted by a test)
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * A describe block on one throw-away cluster, started before its tests and stopped after (skipped, saying why, when
 * PostgreSQL cannot run here). `suite` gets the cluster at once; its members are usable from the tests on.
 *
 * @example
 *   describeWithPostgres('records on PostgreSQL', (cluster) => {
 *     it('…', async () => { const url = await cluster.createDatabase(); … });
 *   });
 */
export function describeWithPostgres(title: string, suite: (cluster: PostgresCluster) => void): void {
  const unavailable = postgresUnavailable();
  let running: PostgresCluster | undefined;
  const started = (): PostgresCluster => {
    if (!running) throw new Error('the PostgreSQL cluster starts in beforeAll: use it inside the tests');
    return running;
  };
  const cluster: PostgresCluster = {
    get adminUrl() {
      return started().adminUrl;
    },
    get port() {
      return started().port;
    },
    get directory() {
      return started().directory;
    },
    createDatabase: (name) => started().createDatabase(name),
    stop: () => started().stop(),
    halt: () => started().halt(),
    start: () => started().start(),
  };
  (unavailable ? describe.skip : describe)(unavailable ? `${title} (skipped: ${unavailable})` : title, () => {
    beforeAll(async () => {
      running = await startPostgres();
    }, 120_000);
    afterAll(async () => {
      await running?.stop();
    });
    suite(cluster);
  });
}
