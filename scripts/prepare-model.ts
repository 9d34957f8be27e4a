/**
 * Converts the bundled embedding model into KEFU_DATA_DIR/models/bundled when it is missing or invalid.
 * Run by scripts/postinstall.js (with the project's own Node); `npx kefu model prepare` does the same.
 */
import { loadConfig } from '../src/config/index.ts';
import { describeError } from '../src/errors/index.ts';
import { ensureBundledModel } from '../src/embeddings/index.ts';

try {
  const started = performance.now();
  const { modelDir, converted } = await ensureBundledModel(loadConfig());
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(converted ? `kefu: prepared the bundled embedding model in ${modelDir} (${seconds} s)` : `kefu: bundled embedding model already prepared in ${modelDir}`);
} catch (error) {
  console.error(`kefu: could not prepare the bundled embedding model: ${describeError(error)}`);
  process.exitCode = 1;
}
