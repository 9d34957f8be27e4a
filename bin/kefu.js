#!/usr/bin/env node
// Entry point for `npx kefu`, `npm start` and `./bin/kefu.js`. kefu is TypeScript run by Node's built-in type
// stripping (Node >= 22.18). The project installs its own Node (the `node` package) so this works where the
// system Node is older: when started by an older Node, re-run this same command with the project's Node, pass
// signals on to it, and exit as it exits.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  const projectNode = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.bin', 'node');
  if (!existsSync(projectNode)) {
    console.error(`kefu needs Node.js 22.18 or newer (this is ${process.version}). Run \`npm install\` in the kefu folder, which installs a suitable Node, then \`npx kefu\`.`);
    process.exit(1);
  }
  const child = spawn(projectNode, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  // A terminal's Ctrl+C reaches every process of the foreground group, the child included: forwarding it
  // would make a second SIGINT, which kefu takes as "stop now, without finishing answers". Without a
  // terminal (a process manager, `kill -INT`), only this process gets it, so it is passed on.
  const fromTerminal = (signal) => signal === 'SIGINT' && (process.stdin.isTTY || process.stdout.isTTY || process.stderr.isTTY);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']) {
    process.on(signal, () => {
      if (child.exitCode === null && child.signalCode === null && !fromTerminal(signal)) child.kill(signal);
    });
  }
  child.on('error', (error) => {
    console.error(`kefu: could not start ${projectNode}: ${error.message}`);
    process.exit(1);
  });
  // The shell convention: a child ended by a signal exits 128 + the signal's number.
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
} else {
  await import('../cli/main.ts');
}
