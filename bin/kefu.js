#!/usr/bin/env node
// Entry point for `npx kefu`. kefu is TypeScript run by Node's built-in type stripping (Node >= 22.18).
// The project installs its own Node (the `node` package) so this works where the system Node is older:
// when started by an older Node, re-run this same command with the project's Node.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  const projectNode = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.bin', 'node');
  if (existsSync(projectNode)) {
    const result = spawnSync(projectNode, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
    process.exit(result.status ?? 1);
  }
  console.error(`kefu needs Node.js 22.18 or newer (this is ${process.version}). Run \`npm install\` in the kefu folder, which installs a suitable Node, then \`npx kefu\`.`);
  process.exit(1);
}
await import('../cli/main.ts');
