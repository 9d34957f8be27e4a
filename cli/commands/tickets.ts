import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../../src/config/index.ts';
import { openRecords } from '../../src/records/index.ts';
import type { TicketRecord } from '../../src/records/types.ts';

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < 1) throw new InvalidArgumentError('must be a whole number of at least 1, e.g. -n 50');
  return parsed;
}

function printTicket(ticket: TicketRecord): void {
  console.log(`${ticket.number}  ${ticket.status.padEnd(6)}  ${ticket.reason.padEnd(17)}  ${ticket.createdAt}  conversation ${ticket.conversationId}`);
  if (ticket.note) console.log(`  note: ${ticket.note}`);
  for (const message of ticket.transcript) {
    const who = message.role === 'user' ? 'customer' : message.role === 'assistant' ? 'kefu' : 'system';
    const outcome = message.outcome ? ` (${message.outcome})` : '';
    console.log(`  ${who.padEnd(8)}${outcome}: ${message.text.replace(/\s+/g, ' ')}`);
  }
  console.log('');
}

export function register(program: Command): void {
  const tickets = program.command('tickets').description('hand-over tickets (工单) opened when customers asked for a person');
  tickets
    .command('list')
    .description('list tickets, newest first, each with the conversation transcript')
    .option('--all', 'include closed tickets (default: open only)')
    .option('-n, --limit <n>', 'at most this many tickets', positiveInteger, 20)
    .option('--json', 'print the tickets as JSON')
    .addHelpText('after', '\nExamples:\n  npx kefu tickets list\n  npx kefu tickets list --all --json')
    .action(async (options: { all?: boolean; limit: number; json?: boolean }) => {
      const config = loadConfig();
      const records = openRecords({ url: config.databaseUrl, path: config.databasePath, startupRetryMs: config.databaseStartupRetryMs });
      try {
        const list = await records.listTickets({ status: options.all ? undefined : 'open', limit: options.limit });
        if (options.json) console.log(JSON.stringify(list, null, 2));
        else if (list.length === 0) console.log(options.all ? 'No tickets yet.' : 'No open tickets.');
        else list.forEach(printTicket);
      } finally {
        await records.close();
      }
    });
}
