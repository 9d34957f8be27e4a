/**
 * The trained intent model as sync leaves it in the data folder (`<index>/intent-model.json`): the classifier's
 * JSON, the intents with their routes, and which file it came from. Sync writes it (atomically: a reader sees the
 * old model or the new one, never half of one); the answer path opens it with `openStoredIntents` and picks up a
 * new one by itself (the file is checked at most once a second), also when another process (`kefu ingest`) wrote it.
 *
 * @example
 *   await saveStoredIntents({ file, model, intents: parsed.intents, source: { path: 'intents.csv', contentHash } });
 *   const stored = openStoredIntents({ file, embedderModelId: embedder.modelId });
 *   const current = await stored.current(); // { model, routes, intents } or undefined (no intents file)
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { intentModelFromJSON, type IntentModel, type IntentModelJson } from './classifier.ts';
import { routesByIntent } from './intents-file.ts';
import type { IntentDefinition, IntentRoute } from './types.ts';

/** The file sync writes in the index folder. */
export const INTENT_MODEL_FILE = 'intent-model.json';
/** The sentence-vector cache beside it (a retrain embeds only new examples). */
export const INTENT_VECTORS_FILE = 'intent-vectors.bin';

export interface StoredIntentsJson {
  kind: 'kefu-intents';
  source: { path: string; contentHash: string };
  intents: Array<{ name: string; route: IntentRoute; examples: number }>;
  model: IntentModelJson;
}

/** A loaded model with the routes of its intents. */
export interface LoadedIntents {
  model: IntentModel;
  routes: ReadonlyMap<string, IntentRoute>;
  source: { path: string; contentHash: string };
}

/**
 * Writes the model beside the index (temporary file, then rename).
 *
 * @example
 *   await saveStoredIntents({ file: path.join(config.indexDir, INTENT_MODEL_FILE), model, intents, source });
 */
export async function saveStoredIntents({ file, model, intents, source }: { file: string; model: IntentModel; intents: readonly IntentDefinition[]; source: StoredIntentsJson['source'] }): Promise<void> {
  const json: StoredIntentsJson = { kind: 'kefu-intents', source, intents: intents.map((intent) => ({ name: intent.name, route: intent.route, examples: intent.examples.length })), model: model.toJSON() };
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(json));
  await rename(temporary, file);
}

/** Reads the saved file's header fields without rebuilding the classifier (sync's "is it up to date?"). */
export async function readStoredIntentsSource(file: string): Promise<{ source: StoredIntentsJson['source']; fingerprint: string; embedderModelId: string } | undefined> {
  try {
    const json = JSON.parse(await readFile(file, 'utf8')) as Partial<StoredIntentsJson>;
    if (json.kind !== 'kefu-intents' || !json.source || !json.model) return undefined;
    return { source: json.source, fingerprint: json.model.fingerprint, embedderModelId: json.model.embedderModelId };
  } catch {
    return undefined;
  }
}

/** Deletes the model and its vector cache (the intents file was deleted). */
export async function removeStoredIntents(file: string): Promise<void> {
  await rm(file, { force: true });
  await rm(path.join(path.dirname(file), INTENT_VECTORS_FILE), { force: true });
}

export interface StoredIntents {
  /** The model in force, reloaded when the file changed; undefined when there is none (or it does not fit the embedder). */
  current(): Promise<LoadedIntents | undefined>;
}

/**
 * Opens the saved model for answering. A file that cannot be used (damaged, another embedding model) is reported
 * once through `logger` and treated as no model: answers go on as without intents.
 *
 * @example
 *   const stored = openStoredIntents({ file: path.join(config.indexDir, INTENT_MODEL_FILE), embedderModelId: embedder.modelId });
 */
export function openStoredIntents({ file, embedderModelId, logger, checkEveryMs = 1000 }: { file: string; embedderModelId: string; logger?: { warn(object: object, message: string): void }; checkEveryMs?: number }): StoredIntents {
  let loaded: LoadedIntents | undefined;
  let version = '';
  let checkedAt = Number.NEGATIVE_INFINITY;
  let loading: Promise<LoadedIntents | undefined> | undefined;

  async function refresh(): Promise<LoadedIntents | undefined> {
    const stats = await stat(file).catch(() => undefined);
    const seen = stats ? `${stats.mtimeMs}:${stats.size}` : '';
    if (seen === version) return loaded;
    version = seen;
    if (!stats) {
      loaded = undefined;
      return loaded;
    }
    try {
      const json = JSON.parse(await readFile(file, 'utf8')) as StoredIntentsJson;
      const model = intentModelFromJSON({ json: json.model, embedderModelId });
      const routes = routesByIntent(json.intents.map((intent) => ({ name: intent.name, route: intent.route, examples: [], line: 0 })));
      loaded = { model, routes, source: json.source };
    } catch (error) {
      loaded = undefined;
      logger?.warn({ err: error, file }, 'the saved intent model cannot be used; answering without intents until the next sync trains it again');
    }
    return loaded;
  }

  return {
    async current() {
      const now = performance.now();
      if (now - checkedAt < checkEveryMs) return loaded;
      if (!loading) {
        loading = refresh().finally(() => {
          checkedAt = performance.now();
          loading = undefined;
        });
      }
      return loading;
    },
  };
}
