/**
 * The small entry that listens: starts the app on host:port and, on SIGINT/SIGTERM (or an uncaught
 * error), stops accepting connections, lets in-flight answers finish, then closes the stores.
 */
import closeWithGrace from 'close-with-grace';
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
  return app.listen({ host: options.host, port: options.port });
}
