import type { Command } from 'commander';
import { describeSettings, loadConfig } from '../../src/config/index.ts';

export function register(program: Command): void {
  program
    .command('config')
    .description('show the settings kefu reads from KEFU_* environment variables (and .env): current value, default, meaning')
    .option('--json', 'print the resolved configuration as JSON')
    .addHelpText('after', '\nA value set in the environment wins over .env; "-" means the default is in force. Secrets show as ***.')
    .action((options: { json?: boolean }) => {
      const config = loadConfig();
      if (options.json) {
        const server = { ...config.server, evalToken: config.server.evalToken ? '***' : '' };
        console.log(JSON.stringify({ ...config, server, llm: { ...config.llm, apiKey: config.llm.apiKey ? '***' : '' } }, null, 2));
        return;
      }
      const settings = describeSettings();
      const rows = settings.map((setting) => [
        setting.name,
        setting.current === undefined ? '-' : `${setting.current}${setting.source === '.env' ? ' (.env)' : ''}`,
        setting.default === undefined ? "(see meaning)" : JSON.stringify(setting.default),
        setting.description,
      ]);
      const header = ['setting', 'current', 'default', 'meaning'];
      const widths = [0, 1, 2].map((column) => Math.min(36, Math.max(...[header, ...rows].map((row) => (row[column] ?? '').length))));
      for (const row of [header, ...rows]) console.log(row.map((cell, column) => (column < 3 ? cell.padEnd(widths[column] ?? 0) : cell)).join('  '));
      console.log(`\ndata dir: ${config.dataDir}\ninbox:    ${config.inboxDir}\nmodel:    ${config.embedding.model}`);
    });
}
