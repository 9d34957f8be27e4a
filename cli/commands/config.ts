import type { Command } from 'commander';
import { describeSettings, loadConfig } from '../../src/config/index.ts';

export function register(program: Command): void {
  program
    .command('config')
    .description('show the settings kefu reads from KEFU_* environment variables (and .env), with their current values')
    .option('--json', 'print the resolved configuration as JSON')
    .action((options: { json?: boolean }) => {
      const config = loadConfig();
      if (options.json) {
        console.log(JSON.stringify({ ...config, server: { ...config.server, evalToken: config.server.evalToken ? '***' : '' }, llm: { ...config.llm, apiKey: config.llm.apiKey ? '***' : '' } }, null, 2));
        return;
      }
      for (const setting of describeSettings()) {
        console.log(`${setting.name.padEnd(28)} default ${JSON.stringify(setting.default).padEnd(12)} ${setting.description}`);
      }
      console.log(`\ndata dir: ${config.dataDir}\ninbox:    ${config.inboxDir}\nmodel:    ${config.embedding.model}`);
    });
}
