/**
 * The `kefu` command line. Each subcommand lives in `cli/commands/<name>.ts` and exports
 * `register(program)`. This folder is the composition root: it may import src/, ingest/ and eval/.
 */
import { Command, CommanderError } from 'commander';
import { describeError, isKefuError } from '../src/errors/index.ts';
import { commands } from './commands/index.ts';

const program = new Command('kefu')
  .description('kefu (客服): answers customers from your own policy documents and FAQs, with citations')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .configureHelp({ sortSubcommands: false });

for (const register of commands) register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  console.error(`kefu: ${describeError(error)}`);
  // An unexpected error is a bug: its stack is what a bug report needs.
  if (!isKefuError(error)) console.error(error);
  process.exit(isKefuError(error) && error.code === 'CONFIG_INVALID' ? 78 : 1);
}
