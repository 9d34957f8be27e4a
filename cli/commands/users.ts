import { Option, type Command } from 'commander';
import { createAccounts, ROLES } from '../../src/accounts/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { openRecords } from '../../src/records/index.ts';
import type { UserRecord } from '../../src/records/types.ts';

/** Opens the records and the accounts service, runs `work`, closes. */
async function withAccounts<T>(work: (accounts: ReturnType<typeof createAccounts>, workspace: string) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const records = openRecords({ url: config.databaseUrl, path: config.databasePath, startupRetryMs: config.databaseStartupRetryMs });
  try {
    const host = config.server.host === '0.0.0.0' || config.server.host === '::' ? 'localhost' : config.server.host;
    return await work(createAccounts({ records, settings: config.accounts }), `http://${host.includes(':') ? `[${host}]` : host}:${config.server.port}/agent`);
  } finally {
    await records.close();
  }
}

function printToken(user: UserRecord, token: string, workspace: string): void {
  console.log(`Sign in at ${workspace} with the name ${user.name} and the token below. It is shown only this once: store it now (a password manager).`);
  // The token is the last word of the last line, so scripts can take it with `| tail -1 | awk '{print $NF}'`.
  console.log(`Token: ${token}`);
}

export function register(program: Command): void {
  const users = program.command('users').description('accounts of the people who answer customers (agent), own the knowledge (owner) and run kefu (admin)');

  users
    .command('add <name>')
    .description('add an account and print its sign-in token (once)')
    .addOption(new Option('-r, --role <role>', 'agent: conversations and quick replies; owner: also knowledge and reports; admin: users, settings, webhook log').choices([...ROLES]).makeOptionMandatory())
    .option('-d, --display-name <name>', 'the name customers and colleagues see (default: the sign-in name, capitalised)')
    .addHelpText('after', '\nExamples:\n  npx kefu users add alice --role agent --display-name "Alice Wong"\n  npx kefu users add root --role admin')
    .action(async (name: string, options: { role: string; displayName?: string }) => {
      await withAccounts(async (accounts, workspace) => {
        const { user, token } = await accounts.addUser({ name, role: options.role, ...(options.displayName ? { displayName: options.displayName } : {}) });
        console.log(`Added ${user.name} (${user.role}), shown to customers as "${user.displayName}".`);
        printToken(user, token, workspace);
      });
    });

  users
    .command('list')
    .description('list the accounts (never their tokens)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await withAccounts(async (accounts) => {
        const list = await accounts.listUsers();
        if (options.json) return console.log(JSON.stringify(list, null, 2));
        if (list.length === 0) return console.log('No accounts yet. Add one with `npx kefu users add <name> --role agent`.');
        console.log(`${'name'.padEnd(16)}  ${'shown as'.padEnd(20)}  ${'role'.padEnd(6)}  ${'status'.padEnd(8)}  last seen`);
        for (const user of list) {
          console.log(`${user.name.padEnd(16)}  ${user.displayName.slice(0, 20).padEnd(20)}  ${user.role.padEnd(6)}  ${(user.disabled ? 'disabled' : 'active').padEnd(8)}  ${user.lastSeenAt ?? 'never'}`);
        }
      });
    });

  users
    .command('disable <name>')
    .description('stop an account from signing in (its sessions end at once); `enable` undoes it')
    .action(async (name: string) => {
      await withAccounts(async (accounts) => {
        const user = await accounts.setDisabled(name, true);
        console.log(`Disabled ${user.name}: its token no longer works and its sessions are closed.`);
      });
    });

  users
    .command('enable <name>')
    .description('let a disabled account sign in again (with its current token)')
    .action(async (name: string) => {
      await withAccounts(async (accounts) => {
        const user = await accounts.setDisabled(name, false);
        console.log(`Enabled ${user.name}.`);
      });
    });

  users
    .command('reset <name>')
    .description('issue a new sign-in token (the old one stops working, sessions end) and print it (once)')
    .action(async (name: string) => {
      await withAccounts(async (accounts, workspace) => {
        const { user, token } = await accounts.resetToken(name);
        console.log(`New token for ${user.name}; the old one no longer works.`);
        printToken(user, token, workspace);
      });
    });
}
