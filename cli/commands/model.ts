import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../src/config/index.ts';
import { KefuError } from '../../src/errors/index.ts';
import { MODEL_FILES, checkBundledModel, convertBundledModel, checkEmbedderLoadable, ensureBundledModel, resolveModelSource } from '../../src/embeddings/index.ts';

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function register(program: Command): void {
  const model = program
    .command('model')
    .description('prepare, inspect and verify the embedding model (default: the bundled all-MiniLM-L6-v2)')
    .addHelpText('after', '\nThe model is chosen by KEFU_EMBEDDING_MODEL ("bundled", a Hugging Face id, or a folder) and KEFU_EMBEDDING_DTYPE (fp32 or q8).');

  model
    .command('prepare')
    .description('convert the bundled model into <data dir>/models/bundled if it is missing or damaged (npm install does this too)')
    .option('--force', 'rebuild even when the converted model looks valid')
    .action(async (options: { force?: boolean }) => {
      const config = loadConfig();
      const started = performance.now();
      const modelDir = config.embedding.bundledModelDir;
      let converted = true;
      if (options.force) await convertBundledModel({ outputDir: modelDir });
      else ({ converted } = await ensureBundledModel(config));
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(converted ? `Prepared the bundled model in ${modelDir} (${seconds} s).` : `The bundled model is already prepared in ${modelDir}.`);
    });

  model
    .command('info')
    .description('show which embedding model is configured, its dimension, files and sizes')
    .option('--no-load', 'do not load the model (skip dimension and load time)')
    .action(async (options: { load: boolean }) => {
      const config = loadConfig();
      const source = resolveModelSource(config);
      console.log(`model:     ${config.embedding.model} (${source.kind}: ${source.location})`);
      console.log(`dtype:     ${config.embedding.dtype}`);
      console.log(`batch:     ${config.embedding.batchSize}`);
      if (source.kind === 'hub') console.log(`cache:     ${config.embedding.cacheDir}${config.embedding.offline ? ' (offline)' : ''}`);
      if (source.kind !== 'hub') {
        const check = await checkBundledModel({ modelDir: source.location });
        if (check.manifest) console.log(`source:    ${check.manifest.source.package}@${check.manifest.source.version} (converter v${check.manifest.converterVersion})`);
        console.log('files:');
        for (const name of MODEL_FILES) {
          const info = await stat(path.join(source.location, name)).catch(() => undefined);
          console.log(`  ${name.padEnd(28)} ${info ? megabytes(info.size) : 'missing'}`);
        }
        if (source.kind === 'bundled' && !check.valid) console.log(`status:    not prepared (${check.problems[0]}); run \`npx kefu model prepare\``);
      }
      if (options.load) {
        const loaded = await checkEmbedderLoadable(config);
        console.log(`model id:  ${loaded.modelId}\ndimension: ${loaded.dimension}\nloaded in: ${loaded.milliseconds} ms`);
      }
    });

  model
    .command('verify')
    .description('check every byte of the converted bundled model against its manifest (sha256), then load it')
    .action(async () => {
      const config = loadConfig();
      const source = resolveModelSource(config);
      const modelDir = source.kind === 'hub' ? config.embedding.bundledModelDir : source.location;
      const check = await checkBundledModel({ modelDir, fullHash: true });
      if (!check.valid) {
        const missing = check.problems.some((problem) => problem.includes('missing'));
        throw new KefuError(missing ? 'MODEL_NOT_FOUND' : 'MODEL_CORRUPT', { detail: `${modelDir}: ${check.problems.join('; ')}` });
      }
      console.log(`All ${MODEL_FILES.length} model files in ${modelDir} match their sha256.`);
      const loaded = await checkEmbedderLoadable(config);
      console.log(`Loaded ${loaded.modelId} (${loaded.dimension} dimensions) in ${loaded.milliseconds} ms.`);
    });
}
