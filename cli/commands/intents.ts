/**
 * `kefu intents`: for knowledge owners writing an intents file (src/intents/README.md).
 * `check` lists every problem with its line; `try` trains the classifier on the file and shows which
 * intent each message gets, how sure it is and where it would be routed.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { decodeText } from '../../ingest/loaders/text-decoding.ts';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { KefuError } from '../../src/errors/index.ts';
import { assertIntentsFileValid, parseIntentsFile, routesByIntent, type ParsedIntentsFile } from '../../src/intents/intents-file.ts';
import { formatRoute } from '../../src/intents/routes.ts';

async function readIntentsFile(file: string, config: Config): Promise<ParsedIntentsFile> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (error) {
    throw new KefuError('INGEST_NOT_FOUND', { detail: file, cause: error });
  }
  if (size > config.ingest.maxFileBytes) throw new KefuError('INGEST_TOO_LARGE', { detail: `${file} (${(size / 1024 / 1024).toFixed(1)} MB)` });
  const { text } = decodeText({ path: file, bytes: await readFile(file) });
  return parseIntentsFile({ path: file, text });
}

function issueLine(issue: { line?: number; message: string }): string {
  return issue.line === undefined ? `  ${issue.message}` : `  line ${issue.line}: ${issue.message}`;
}

function summary(parsed: ParsedIntentsFile): string {
  const examples = parsed.intents.reduce((sum, intent) => sum + intent.examples.length, 0);
  const lines = [`${parsed.intents.length} intent(s), ${examples} example(s), ${parsed.outOfScopeExamples.length} out-of-scope example(s)`];
  for (const intent of parsed.intents) lines.push(`  ${intent.name.padEnd(28)} ${String(intent.examples.length).padStart(5)} example(s)  → ${formatRoute(intent.route)}`);
  return lines.join('\n');
}

export function register(program: Command): void {
  const intents = program.command('intents').description('check an intents file (intent, example, route) and try the classifier trained on it');
  intents
    .command('check <file>')
    .description('validate an intents file (CSV or YAML): every error and warning with its line; exit 1 if it has errors')
    .option('--json', 'print the parsed file (intents, routes, issues) as JSON')
    .addHelpText('after', '\nThe format is described in src/intents/README.md.\n\nExamples:\n  npx kefu intents check data/inbox/intents.csv\n  npx kefu intents check intents.yaml --json')
    .action(async (file: string, options: { json?: boolean }) => {
      const parsed = await readIntentsFile(file, loadConfig());
      if (options.json) {
        const { trainingExamples: _examples, ...rest } = parsed;
        console.log(JSON.stringify(rest, null, 2));
      } else {
        if (parsed.errors.length > 0) console.log(`${parsed.errors.length} error(s):\n${parsed.errors.map(issueLine).join('\n')}`);
        if (parsed.warnings.length > 0) console.log(`${parsed.warnings.length} warning(s):\n${parsed.warnings.map(issueLine).join('\n')}`);
        console.log(summary(parsed));
        if (parsed.errors.length === 0) console.log(parsed.warnings.length === 0 ? 'OK' : 'OK, with warnings');
      }
      if (parsed.errors.length > 0) process.exitCode = 1;
    });
  intents
    .command('try <file> <messages...>')
    .description('train the intent classifier on the file (seconds) and classify each message')
    .option('--json', 'print each classification as JSON')
    .addHelpText('after', '\nExamples:\n  npx kefu intents try data/inbox/intents.csv "where is my parcel" "我要投诉" "tell me a joke"')
    .action(async (file: string, messages: string[], options: { json?: boolean }) => {
      const config = loadConfig();
      const parsed = assertIntentsFileValid(await readIntentsFile(file, config), file);
      for (const warning of parsed.warnings) console.error(`warning: ${issueLine(warning).trimStart()}`);
      // Loaded here: the model libraries are heavy and `check` needs none of them.
      const { createEmbedder } = await import('../../src/embeddings/index.ts');
      const { trainIntentClassifier } = await import('../../src/intents/classifier.ts');
      const embedder = await createEmbedder({ config });
      try {
        const model = await trainIntentClassifier({ examples: parsed.trainingExamples, embedder });
        const { report } = model;
        console.error(`trained on ${report.examples} examples of ${report.intents} intents in ${(report.milliseconds.total / 1000).toFixed(1)} s; threshold ${model.threshold.toFixed(2)} (${report.threshold.method})${report.heldOutAccuracy === undefined ? '' : `; held-out accuracy ${(report.heldOutAccuracy * 100).toFixed(0)}%`}`);
        const routes = routesByIntent(parsed.intents);
        for (const message of messages) {
          const result = await model.classifyText({ text: message, embedder, top: 3 });
          const route = result.intent === undefined ? 'retrieval (no intent)' : formatRoute(routes.get(result.intent) ?? { kind: 'retrieval' });
          if (options.json) console.log(JSON.stringify({ message, ...result, route }));
          else {
            const ranking = result.ranking.map((score) => `${score.intent} ${score.probability.toFixed(2)}`).join(', ');
            console.log(`${message}\n  → ${result.intent ?? `no intent (${result.outOfScope})`}, confidence ${result.confidence.toFixed(2)}, route ${route}\n    ranking: ${ranking}`);
          }
        }
      } finally {
        await embedder.dispose();
      }
    });
}
