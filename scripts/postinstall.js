// Runs at `npm install`. Plain JavaScript on purpose: npm may start it with the system Node (20),
// which cannot run TypeScript, before the project's own Node (node_modules/.bin/node) is used.
// It prepares the bundled embedding model and never fails the install: kefu also prepares the
// model on first use, so a problem here is reported, not fatal.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const script = join(root, 'scripts', 'prepare-model.ts');

function canStripTypes(version) {
  const [major, minor] = version.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 18);
}

function main() {
  if (process.env.KEFU_SKIP_MODEL_PREPARE) {
    console.log('kefu: KEFU_SKIP_MODEL_PREPARE is set; the embedding model will be prepared on first use.');
    return;
  }
  const projectNode = join(root, 'node_modules', '.bin', 'node');
  const node = existsSync(projectNode) ? projectNode : canStripTypes(process.versions.node) ? process.execPath : null;
  if (!node || !existsSync(script)) {
    console.log('kefu: skipped preparing the embedding model now (needs Node 22.18+); it will be prepared on first use, or run `npx kefu model prepare`.');
    return;
  }
  const result = spawnSync(node, [script], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.log('kefu: the embedding model was not prepared now; kefu will try again on first use (or run `npx kefu model prepare`).');
  }
}

try {
  main();
} catch (error) {
  console.log(`kefu: skipped preparing the embedding model (${error instanceof Error ? error.message : String(error)}); run \`npx kefu model prepare\`.`);
}
