/**
 * The `kefu` command line. Each subcommand lives in `cli/commands/<name>.ts` and exports
 * `register(program)`. This folder is the composition root: it may import src/, ingest/ and eval/.
 */
import { Command, CommanderError } from 'commander';
import { unknownSettings } from '../src/config/index.ts';
import { describeError, isKefuError } from '../src/errors/index.ts';
import { commands } from './commands/index.ts';

const program = new Command('kefu')
  .description('kefu (客服): answers customers from your own policy documents and FAQs, with citations')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .configureHelp({ sortSubcommands: false });

// Only the command being run is loaded (its libraries are heavy); help and unknown commands load them all.
const requested = process.argv.slice(2).find((argument) => !argument.startsWith('-'));
const chosen = commands.find((command) => command.name === requested);
const versionOnly = !requested && process.argv.slice(2).some((argument) => argument === '-V' || argument === '--version');
for (const command of chosen ? [chosen] : versionOnly ? [] : commands) (await command.load()).register(program);

// A misspelt setting would otherwise be ignored without a word.
program.hook('preAction', () => {
  for (const unknown of unknownSettings()) {
    const where = unknown.source === '.env' ? ' (in .env)' : '';
    const guess = unknown.suggestion ? `; did you mean ${unknown.suggestion}?` : '; `npx kefu config` lists the settings';
    console.error(`kefu: warning: ${unknown.name}${where} is not a setting kefu knows, so it is ignored${guess}`);
  }
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander prints its own parse errors before exiting; one thrown by a command's action is ours to print.
    console.error(`kefu: ${error.message.replace(/^error: /, '')}\n(run with --help for usage)`);
    process.exit(error.exitCode || 1);
  }
  console.error(`kefu: ${describeError(error)}`);
  // An unexpected error is a bug: its stack is what a bug report needs.
  if (!isKefuError(error)) console.error(error);
  process.exit(isKefuError(error) && error.code === 'CONFIG_INVALID' ? 78 : 1);
}
