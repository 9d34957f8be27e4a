/**
 * Subcommands in the order `kefu --help` lists them. Add one line per new command file. Each is loaded only
 * when needed: `kefu config` does not pay for the model, index and web server libraries that `kefu serve` uses.
 */
import type { Command } from 'commander';

export interface CommandModule {
  register(program: Command): void;
}

export const commands: ReadonlyArray<{ name: string; load: () => Promise<CommandModule> }> = [
  { name: 'serve', load: () => import('./serve.ts') },
  { name: 'ingest', load: () => import('./ingest.ts') },
  { name: 'watch', load: () => import('./watch.ts') },
  { name: 'docs', load: () => import('./docs.ts') },
  { name: 'ask', load: () => import('./ask.ts') },
  { name: 'tickets', load: () => import('./tickets.ts') },
  { name: 'intents', load: () => import('./intents.ts') },
  { name: 'users', load: () => import('./users.ts') },
  { name: 'gaps', load: () => import('./gaps.ts') },
  { name: 'report', load: () => import('./report.ts') },
  { name: 'release', load: () => import('./release.ts') },
  { name: 'eval', load: () => import('./eval.ts') },
  { name: 'config', load: () => import('./config.ts') },
  { name: 'model', load: () => import('./model.ts') },
];
