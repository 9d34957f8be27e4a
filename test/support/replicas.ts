/**
 * Several `kefu serve` processes on one index folder and one PostgreSQL database (a writer and readers), and nginx
 * in front of the readers when Debian's nginx is installed. Used by the scale-out test and `npm run bench:replicas`.
 *
 * @example
 *   const writer = await startKefu({ name: 'writer', env: { ...shared, KEFU_ROLE: 'writer' } });
 *   await writer.ready();
 *   ...
 *   await writer.stop();
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort } from './postgres.ts';

export const repositoryRoot = path.resolve(import.meta.dirname, '..', '..');

/** Polls `check` until it returns a value (errors count as "not yet"); never a fixed sleep. */
export async function waitFor<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 180_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export interface KefuProcess {
  name: string;
  port: number;
  base: string;
  child: ChildProcess;
  output(): string;
  /** Resolves when /api/health answers 200 (the writer: first sync done; a reader: the shared index readable). */
  ready(timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
  kill9(): Promise<void>;
}

/** Starts `kefu serve` on a free port with these settings (added to the environment). */
export async function startKefu(options: { name: string; env: Record<string, string>; args?: string[] }): Promise<KefuProcess> {
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, [path.join(repositoryRoot, 'bin', 'kefu.js'), 'serve', '--port', String(port), ...(options.args ?? [])], {
    cwd: repositoryRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr?.on('data', (data: Buffer) => (output += data.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;
  const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited;
  };
  return {
    name: options.name,
    port,
    base,
    child,
    output: () => output,
    exited,
    ready: (timeoutMs = 240_000) =>
      waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`${options.name} exited with ${child.exitCode}:\n${output.slice(-3000)}`);
          return (await fetch(`${base}/api/health`)).status === 200 ? true : undefined;
        },
        `${options.name} to be ready`,
        timeoutMs,
        200,
      ).then(
        () => undefined,
        (error: unknown) => {
          throw new Error(`${String(error)}\n--- ${options.name} output ---\n${output.slice(-3000)}`);
        },
      ),
    stop: async () => {
      await stopWith('SIGTERM');
    },
    kill9: () => stopWith('SIGKILL'),
  };
}

/** Runs a kefu command to its end (e.g. a second writer that must refuse). */
export async function runKefu(args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [path.join(repositoryRoot, 'bin', 'kefu.js'), ...args], { cwd: repositoryRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr?.on('data', (data: Buffer) => (output += data.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, output };
}

export function nginxBinary(): string | undefined {
  for (const candidate of ['/usr/sbin/nginx', '/usr/bin/nginx']) if (existsSync(candidate)) return candidate;
  return undefined;
}

export interface Balancer {
  base: string;
  stop(): Promise<void>;
}

/**
 * nginx as the load balancer in front of `upstreams` (round robin; SSE unbuffered; a replica that refuses
 * connections is skipped for a few seconds). Undefined when nginx is not installed: callers fall back to the ports.
 */
export async function startNginx(options: { directory: string; upstreams: number[] }): Promise<Balancer | undefined> {
  const binary = nginxBinary();
  if (!binary) return undefined;
  const directory = path.join(options.directory, 'nginx');
  await mkdir(path.join(directory, 'temp'), { recursive: true });
  await chmod(path.join(directory, 'temp'), 0o777);
  const port = await freePort();
  const temp = path.join(directory, 'temp');
  const conf = `
worker_processes 1;
pid ${directory}/nginx.pid;
error_log ${directory}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${temp}/body;
  proxy_temp_path ${temp}/proxy;
  fastcgi_temp_path ${temp}/fastcgi;
  uwsgi_temp_path ${temp}/uwsgi;
  scgi_temp_path ${temp}/scgi;
  upstream kefu {
${options.upstreams.map((upstream) => `    server 127.0.0.1:${upstream} max_fails=1 fail_timeout=5s;`).join('\n')}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://kefu;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_buffering off;
      proxy_read_timeout 1h;
      proxy_connect_timeout 2s;
    }
  }
}
`;
  await writeFile(path.join(directory, 'nginx.conf'), conf);
  const child = spawn(binary, ['-c', path.join(directory, 'nginx.conf'), '-p', directory, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (data: Buffer) => (output += data.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${output}`);
    await fetch(`${base}/api/health`);
    return true;
  }, 'nginx to listen', 30_000);
  return {
    base,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGQUIT');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
  };
}

/** True when `nginx -t` would work here (used to report, not to decide). */
export function nginxVersion(): string | undefined {
  const binary = nginxBinary();
  if (!binary) return undefined;
  return spawnSync(binary, ['-v'], { encoding: 'utf8' }).stderr.trim();
}
