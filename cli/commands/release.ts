/**
 * `kefu release`: gradual release (灰度发布) from the command line (the console's Releases tab). While a release runs,
 * new FAQ answers, wordings and uploads are staged and reach its share of visitors first (sticky per visitor); the
 * KPIs of both arms are compared with `kefu report --release <id>`; then promote or roll back.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../../src/config/index.ts';
import type { ReleaseRecord } from '../../src/records/types.ts';
import { withOwnerConsole } from '../owner-console.ts';

function share(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || parsed < 1 || parsed > 99) throw new InvalidArgumentError('must be a whole percent from 1 to 99, e.g. --share 10');
  return parsed;
}

function setting(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const match = /^(KEFU_[A-Z_]+)=(.*)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`"${value}" is not NAME=value with a KEFU_ setting, e.g. --setting KEFU_ANSWER_THRESHOLD=0.3`);
  return { ...previous, [match[1] as string]: match[2] as string };
}

function describe(release: ReleaseRecord): string {
  const settings = Object.entries(release.settings).map(([name, value]) => `${name}=${value}`).join(' ');
  return `${release.id}  ${release.status}  ${release.share}% of visitors  started ${release.startedAt}${release.startedBy ? ` by ${release.startedBy}` : ''}${release.endedAt ? `  ended ${release.endedAt}` : ''}${settings ? `  settings ${settings}` : ''}${release.note ? `  "${release.note}"` : ''}`;
}

export function register(program: Command): void {
  const release = program
    .command('release')
    .description('gradual release (灰度发布): give a change to a share of visitors first, compare, then promote or roll back')
    .addHelpText('after', '\nThe same as the owner console\'s Releases tab (http://localhost:3000/admin). Compare the arms with\n`npx kefu report --release <id>`.');

  release
    .command('status')
    .description('the running release and the earlier ones')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await withOwnerConsole({ config: loadConfig() }, async (owner) => {
        const [current, all] = await Promise.all([owner.releases.current(), owner.releases.list()]);
        if (options.json) return console.log(JSON.stringify({ current: current ?? null, releases: all }, null, 2));
        console.log(current ? `Running: ${describe(current)}` : 'No release is running: changes reach everyone after the sync.');
        const earlier = all.filter((item) => item.id !== current?.id);
        if (earlier.length > 0) console.log(`\nEarlier:\n${earlier.map((item) => `  ${describe(item)}`).join('\n')}`);
      });
    });

  release
    .command('start')
    .description('start a release: changes made while it runs reach this share of visitors first')
    .requiredOption('-s, --share <percent>', 'percent of visitors in the candidate arm (1–99)', share)
    .option('--setting <NAME=value>', 'an answer setting of the candidate (repeatable), e.g. KEFU_ANSWER_THRESHOLD=0.3', setting)
    .option('--note <text>', 'what the release is for')
    .addHelpText('after', '\nExamples:\n  npx kefu release start --share 10 --note "new returns FAQ"\n  npx kefu release start --share 20 --setting KEFU_ANSWER_THRESHOLD=0.3')
    .action(async (options: { share: number; setting?: Record<string, string>; note?: string }) => {
      await withOwnerConsole({ config: loadConfig() }, async (owner) => {
        const started = await owner.releases.start({ share: options.share, ...(options.setting ? { settings: options.setting } : {}), ...(options.note ? { note: options.note } : {}), by: 'cli' });
        console.log(`Started ${describe(started)}\nNew answers, wordings and uploads are staged for it. Promote with \`npx kefu release promote\`, or roll back with \`npx kefu release rollback\`.`);
      });
    });

  release
    .command('promote')
    .description('promote the running release to everyone (its staged changes move into the ingest folder)')
    .action(async () => {
      await withOwnerConsole({ config: loadConfig() }, async (owner) => {
        const result = await owner.releases.promote({ by: 'cli' });
        console.log(`Promoted ${result.release.id}: ${result.applied} change(s) now reach everyone (the sync indexes them).`);
      });
    });

  release
    .command('rollback')
    .description('roll the running release back (its staged changes are dropped; their gaps open again)')
    .action(async () => {
      await withOwnerConsole({ config: loadConfig() }, async (owner) => {
        const result = await owner.releases.rollback({ by: 'cli' });
        console.log(`Rolled back ${result.release.id}: ${result.reverted} change(s) dropped.`);
      });
    });
}
