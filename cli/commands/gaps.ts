/**
 * `kefu gaps`: the knowledge gaps from the command line (the console's Knowledge gaps tab): questions kefu refused,
 * answered weakly, got a thumbs-down for or handed over, grouped; answer one (a new entry in the inbox's
 * kefu-answers.csv, live after the sync) or dismiss it.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../../src/config/index.ts';
import type { GapGroup } from '../../src/gaps/index.ts';
import { withOwnerConsole } from '../owner-console.ts';

function days(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || parsed < 1 || parsed > 3650) throw new InvalidArgumentError('must be a whole number of days from 1 to 3650, e.g. --days 30');
  return parsed;
}

function printGroup(group: GapGroup): void {
  const reasons = Object.entries(group.reasons).filter(([, count]) => count > 0).map(([reason, count]) => `${reason} ${count}`).join(', ');
  console.log(`${group.id}  ${group.count}×  ${group.question}`);
  console.log(`  first ${group.firstSeen}  last ${group.lastSeen}  ${group.languages.join(',') || '-'}  (${reasons})`);
  for (const wording of group.wordings.slice(1, 6)) console.log(`  also asked: ${wording.text}${wording.count > 1 ? ` (${wording.count}×)` : ''}`);
  if (group.wordings.length > 6) console.log(`  … and ${group.wordings.length - 6} more wordings`);
  const said = group.answers[0];
  if (said) console.log(`  kefu said${said.outcome ? ` (${said.outcome})` : ''}: ${said.text.replace(/\s+/g, ' ').slice(0, 160)}`);
  for (const comment of group.comments.slice(0, 3)) console.log(`  comment: ${comment.replace(/\s+/g, ' ').slice(0, 160)}`);
  console.log('');
}

export function register(program: Command): void {
  const gaps = program
    .command('gaps')
    .description('knowledge gaps: what customers asked that kefu could not answer well, grouped; answer or dismiss them')
    .addHelpText('after', '\nThe same as the owner console\'s Knowledge gaps tab (http://localhost:3000/admin).');

  gaps
    .command('list')
    .description('list open gaps, the most asked first, each with an id for `kefu gaps answer` / `dismiss`')
    .option('--days <n>', 'questions of the last n days (default KEFU_GAPS_WINDOW_DAYS)', days)
    .option('--json', 'print the groups as JSON')
    .addHelpText('after', '\nExamples:\n  npx kefu gaps list\n  npx kefu gaps list --days 7 --json')
    .action(async (options: { days?: number; json?: boolean }) => {
      await withOwnerConsole({ config: loadConfig() }, async (owner) => {
        const list = await owner.gaps.list({ fresh: true, ...(options.days ? { sinceDays: options.days } : {}) });
        if (options.json) return console.log(JSON.stringify(list, null, 2));
        if (list.groups.length === 0) return console.log(`No open knowledge gaps since ${list.since}.`);
        console.log(`${list.groups.length} gaps from ${list.questions} questions since ${list.since}:\n`);
        list.groups.forEach(printGroup);
        console.log('Answer one with `npx kefu gaps answer <id> --answer "…"`, or `npx kefu gaps dismiss <id>`.');
      });
    });

  gaps
    .command('answer <id>')
    .description('answer a gap: a new FAQ entry in the ingest folder\'s kefu-answers.csv (its wordings as alternate questions)')
    .requiredOption('-a, --answer <text>', 'the answer customers get (Markdown: lists, links, bold; markup stays text)')
    .option('-q, --question <text>', 'the FAQ question (default: the most asked wording)')
    .option('-c, --category <text>', 'a category for the entry')
    .option('--gradual', 'stage it in the running release instead of publishing it to everyone (default: staged when a release runs)')
    .option('--everyone', 'publish it to everyone even while a release runs')
    .addHelpText(
      'after',
      '\nThe answer goes live through the normal sync: at once with a running `kefu serve` (it follows the folder),\n' +
        'otherwise at the next `kefu ingest`.\n\nExamples:\n  npx kefu gaps answer g1a2b3c4d5 --answer "We ship to Canada in 7 to 14 business days."',
    )
    .action(async (id: string, options: { answer: string; question?: string; category?: string; gradual?: boolean; everyone?: boolean }) => {
      if (options.gradual && options.everyone) throw new InvalidArgumentError('choose one of --gradual and --everyone');
      await withOwnerConsole({ config: loadConfig() }, async (owner) => {
        const gradual = options.gradual ? true : options.everyone ? false : undefined;
        const change = await owner.gaps.answer({ gapId: id, answer: options.answer, ...(options.question ? { question: options.question } : {}), ...(options.category ? { category: options.category } : {}), ...(gradual === undefined ? {} : { gradual }), by: 'cli' });
        const where = change.status === 'staged' ? `staged in release ${change.releaseId ?? ''} (its share of visitors gets it first)` : 'live after the sync';
        console.log(`Answered ${id}: entry ${change.entryId} in ${change.file} with ${change.wordings.length} alternate question(s); ${where}.`);
      });
    });

  gaps
    .command('dismiss <id>')
    .description('dismiss a gap (its wordings no longer show up as a gap)')
    .addHelpText('after', '\nExamples:\n  npx kefu gaps dismiss g1a2b3c4d5')
    .action(async (id: string) => {
      await withOwnerConsole({ config: loadConfig() }, async (owner) => {
        await owner.gaps.dismiss({ gapId: id, by: 'cli' });
        console.log(`Dismissed ${id}.`);
      });
    });
}
