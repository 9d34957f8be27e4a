/**
 * The inbox's intents file at sync time (src/intents/README.md): it is configuration, not a document. When it is
 * new or changed it is read and checked; with errors it is recorded as a failed file (reason and what to do, shown by
 * `kefu docs list`, `kefu ingest` and the owner console) and the model trained before stays in use; otherwise the
 * classifier is trained (only new examples are embedded: the vector cache) and saved beside the index, where the
 * answer path picks it up. When the file is deleted the model goes too.
 *
 * @example
 *   const outcome = await syncIntentsFile({ config, store, embedder, root, files: intentsFiles, covers: (key) => true });
 *   outcome.report // { path: 'intents.csv', intents: 12, examples: 240, trained: true, … }
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../src/config/index.ts';
import type { Embedder } from '../src/embeddings/types.ts';
import { KefuError } from '../src/errors/index.ts';
import { intentModelFingerprint, intentModelFromJSON, trainIntentClassifier, type IntentModel } from '../src/intents/classifier.ts';
import { assertIntentsFileValid, isIntentsFileName, parseIntentsFile } from '../src/intents/intents-file.ts';
import { INTENT_MODEL_FILE, INTENT_VECTORS_FILE, readStoredIntentsSource, removeStoredIntents, saveStoredIntents } from '../src/intents/stored-model.ts';
import { openVectorCacheFile } from '../src/intents/vector-cache.ts';
import type { ChunkStore } from '../src/store/index.ts';
import type { DocumentRecord } from '../src/store/types.ts';
import { decodeText } from './loaders/text-decoding.ts';

/** What a sync did with the intents file. */
export interface IntentsReport {
  path: string;
  intents: number;
  examples: number;
  /** False when the saved model was still right (same examples, same embedding model). */
  trained: boolean;
  /** Examples embedded in this run (the rest came from the vector cache). */
  embedded: number;
  /** Held-out accuracy of the classifier, when it was trained now. */
  heldOutAccuracy?: number;
  milliseconds: number;
  /** Problems that did not stop the file from being used (an intent with one example, …). */
  warnings: string[];
}

export interface IntentsSyncOutcome {
  report?: IntentsReport;
  /** Intents files that could not be used, each with its error (recorded like any failed file). */
  failed: Array<{ key: string; error: KefuError }>;
  /** True when the model was removed (its file was deleted). */
  removed?: string;
}

export interface SyncIntentsOptions {
  config: Config;
  store: ChunkStore;
  embedder: Embedder;
  /** The inbox (real path): document keys are relative to it. */
  root: string;
  /** Intents files found in this sync's scope: key and absolute path. */
  files: ReadonlyArray<{ key: string; absolute: string }>;
  /** Whether this sync looked at a key (a scoped sync cannot tell that a file outside its scope is gone). */
  covers: (key: string) => boolean;
  /** Records of the index by key (failure records of intents files among them). */
  records: ReadonlyMap<string, DocumentRecord>;
  onProgress?: (message: string) => void;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Brings the saved intent model in step with the inbox's intents file. Never throws for the file's own problems
 * (they are returned as `failed`); a model or store failure is thrown.
 *
 * @example
 *   await syncIntentsFile({ config, store, embedder, root: inbox, files, covers: () => true, records });
 */
export async function syncIntentsFile(options: SyncIntentsOptions): Promise<IntentsSyncOutcome> {
  const { config, store, embedder, root, covers, records } = options;
  const modelFile = path.join(config.indexDir, INTENT_MODEL_FILE);
  const stored = await readStoredIntentsSource(modelFile);
  const files = [...options.files].sort((left, right) => left.key.localeCompare(right.key));
  const outcome: IntentsSyncOutcome = { failed: [] };
  const clearFailure = async (key: string) => {
    if (records.get(key)?.status === 'failed') await store.removeDocument(key);
  };
  // Failure records of intents files that are gone.
  for (const [key, record] of records) {
    if (record.status === 'failed' && (record.root ?? '') === root && covers(key) && isIntentsFileName(key) && !files.some((file) => file.key === key)) await store.removeDocument(key);
  }
  const [chosen, ...others] = files;
  for (const other of others) {
    outcome.failed.push({ key: other.key, error: new KefuError('INTENTS_INVALID', { detail: `${other.key}: only one intents file is used, and ${chosen?.key ?? ''} comes first`, hint: `Move the intents of ${other.key} into ${chosen?.key ?? 'the first file'} and delete ${other.key}.` }) });
  }
  if (!chosen) {
    if (stored && covers(stored.source.path)) {
      await removeStoredIntents(modelFile);
      outcome.removed = stored.source.path;
    }
    return outcome;
  }
  const started = performance.now();
  try {
    const size = (await stat(chosen.absolute)).size;
    if (size > config.ingest.maxFileBytes) throw new KefuError('INGEST_TOO_LARGE', { detail: `${chosen.key} (${(size / 1024 / 1024).toFixed(1)} MB, limit ${(config.ingest.maxFileBytes / 1024 / 1024).toFixed(1)} MB)` });
    const bytes = await readFile(chosen.absolute);
    const contentHash = sha256(bytes);
    if (stored && stored.source.path === chosen.key && stored.source.contentHash === contentHash && stored.embedderModelId === embedder.modelId) {
      await clearFailure(chosen.key);
      return outcome;
    }
    const { text } = decodeText({ path: chosen.absolute, bytes });
    const parsed = assertIntentsFileValid(parseIntentsFile({ path: chosen.key, text }), chosen.key);
    const warnings = parsed.warnings.map((issue) => (issue.line === undefined ? issue.message : `line ${issue.line}: ${issue.message}`));
    const examples = parsed.trainingExamples;
    const fingerprint = intentModelFingerprint({ examples, embedderModelId: embedder.modelId });
    let model: IntentModel | undefined;
    if (stored?.fingerprint === fingerprint) {
      // Same examples (only routes or comments changed): the saved classifier is kept.
      try {
        model = intentModelFromJSON({ json: (JSON.parse(await readFile(modelFile, 'utf8')) as { model: unknown }).model, embedderModelId: embedder.modelId });
      } catch {
        model = undefined;
      }
    }
    const trained = model === undefined;
    let embedded = 0;
    if (!model) {
      options.onProgress?.(`training the intent classifier on ${examples.length} examples of ${chosen.key}`);
      const vectorCache = await openVectorCacheFile({ path: path.join(config.indexDir, INTENT_VECTORS_FILE), modelId: embedder.modelId, dimension: embedder.dimension });
      model = await trainIntentClassifier({ examples, embedder, vectorCache });
      await vectorCache.save();
      embedded = model.report.embedded;
    }
    await saveStoredIntents({ file: modelFile, model, intents: parsed.intents, source: { path: chosen.key, contentHash } });
    await clearFailure(chosen.key);
    outcome.report = {
      path: chosen.key,
      intents: parsed.intents.length,
      examples: examples.length,
      trained,
      embedded,
      ...(trained && model.report.heldOutAccuracy !== undefined ? { heldOutAccuracy: model.report.heldOutAccuracy } : {}),
      milliseconds: Math.round(performance.now() - started),
      warnings,
    };
  } catch (error) {
    if (error instanceof KefuError && (error.code === 'STORE_FAILED' || error.code.startsWith('MODEL_'))) throw error;
    const kefuError = error instanceof KefuError ? error : new KefuError('INTENTS_INVALID', { detail: chosen.key, cause: error });
    outcome.failed.push({ key: chosen.key, error: kefuError });
  }
  return outcome;
}
