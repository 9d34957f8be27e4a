/**
 * The small entry that listens: starts the app on host:port and, on SIGINT/SIGTERM (or an uncaught
 * error), stops accepting connections, lets in-flight answers finish, then closes the stores.
 */
import closeWithGrace from 'close-with-grace';
import { KefuError } from '../errors/index.ts';
import type { KefuApp } from './app.ts';

export interface ListenOptions {
  app: KefuApp;
  host: string;
  port: number;
  /** Closes what the app uses (records, index, model, watcher), after the last request finished. */
  onClose?: () => Promise<void>;
  /** How long in-flight requests may take to finish before the process exits anyway. */
  graceMilliseconds?: number;
}

/**
 * Listens and installs graceful shutdown. Resolves with the address once listening.
 *
 * @example
 *   const address = await listen({ app, host: config.server.host, port: config.server.port, onClose: () => records.close() });
 */
export async function listen(options: ListenOptions): Promise<string> {
  const { app } = options;
  const closer = closeWithGrace({ delay: options.graceMilliseconds ?? 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an unexpected error');
    else app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    await app.close();
    await options.onClose?.();
    app.log.info('stopped');
  });
  app.addHook('onClose', async () => {
    closer.uninstall();
  });
  try {
    return await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    closer.uninstall();
    const code = (error as NodeJS.ErrnoException).code;
    const address = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
    // The usual start-up mistakes get one clear line instead of a stack trace.
    if (code === 'EADDRINUSE') throw new KefuError('LISTEN_FAILED', { detail: `${address}: the port is already in use`, cause: error });
    if (code === 'EACCES') throw new KefuError('LISTEN_FAILED', { detail: `${address}: permission denied`, cause: error, hint: 'Ports below 1024 need administrator rights: choose a port above 1024 with KEFU_PORT or --port.' });
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new KefuError('CONFIG_INVALID', { detail: `KEFU_HOST=${options.host} is not an address of this machine`, cause: error, hint: 'Set KEFU_HOST to 127.0.0.1 (this machine only), 0.0.0.0 (all interfaces) or one of its addresses.' });
    throw error;
  }
}
