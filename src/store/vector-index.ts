/**
 * When the chunks table gets an approximate (ANN) vector index, and how searches use it. Below
 * VECTOR_INDEX_MIN_ROWS rows an exact scan is fast enough (LanceDB's flat search over 100k × 384 is tens of ms) and
 * exact; above it the sync builds an IVF_PQ index (cosine; √rows partitions, 8 dimensions per PQ sub-vector). Rows
 * written later are searched exactly beside the index until the writer's `table.optimize()` adds them to its trained
 * partitions; when a sync adds more than REBUILD_SHARE of the indexed rows at once, the index is trained again.
 * Searches probe 40 partitions and re-rank 10× the limit on the full vectors (`refineFactor`): on 100,000 generated
 * chunks (`npm run bench:scale`) PQ alone found .43 of the exact top 10, nprobes 20 + refine 5 .81, nprobes 40 +
 * refine 10 .92 at a vector p50 of 6 ms (bench/README.md, "A large index").
 *
 * @example
 *   await maintainVectorIndex({ table }); // after a sync's writes (ChunkStore.optimize)
 */
import * as lancedb from '@lancedb/lancedb';

/** Rows at which the sync builds the ANN index (LanceDB suggests ~100k; below that exact search is fast and exact). */
export const VECTOR_INDEX_MIN_ROWS = 100_000;
/** Train the index again when the rows not yet in it pass this share of those in it (its partitions were learned from fewer). */
const REBUILD_SHARE = 0.2;
/** The index's candidates re-ranked on full vectors, as a multiple of the limit (recall: bench/README.md). */
export const VECTOR_REFINE_FACTOR = 10;
/** IVF partitions probed per query. */
export const VECTOR_NPROBES = 40;

export interface VectorIndexState {
  indexed: boolean;
  rows: number;
  unindexedRows: number;
}

async function vectorIndexName(table: lancedb.Table): Promise<string | undefined> {
  return (await table.listIndices()).find((index) => index.columns.includes('vector'))?.name;
}

/** Whether the table has a vector index, and how many of its rows it does not cover yet. */
export async function vectorIndexState(table: lancedb.Table): Promise<VectorIndexState> {
  const rows = await table.countRows();
  const name = await vectorIndexName(table);
  if (!name) return { indexed: false, rows, unindexedRows: rows };
  const stats = await table.indexStats(name);
  return { indexed: true, rows, unindexedRows: stats?.numUnindexedRows ?? 0 };
}

/**
 * Builds the ANN index once the table reaches `minRows`, and rebuilds it when many rows were added since; returns
 * what it did. Called by the writer (one process at a time) after its writes.
 */
export async function maintainVectorIndex(options: { table: lancedb.Table; minRows?: number; dimension?: number }): Promise<'built' | 'rebuilt' | 'none'> {
  const { table, minRows = VECTOR_INDEX_MIN_ROWS } = options;
  const state = await vectorIndexState(table);
  if (state.rows < minRows) return 'none';
  if (state.indexed && state.unindexedRows <= REBUILD_SHARE * (state.rows - state.unindexedRows)) return 'none';
  const dimension = options.dimension ?? (await vectorDimension(table));
  await table.createIndex('vector', {
    replace: true,
    config: lancedb.Index.ivfPq({ numPartitions: Math.max(1, Math.round(Math.sqrt(state.rows))), numSubVectors: dimension % 8 === 0 ? dimension / 8 : 1, distanceType: 'cosine' }),
  });
  return state.indexed ? 'rebuilt' : 'built';
}

async function vectorDimension(table: lancedb.Table): Promise<number> {
  const field = (await table.schema()).fields.find((candidate) => candidate.name === 'vector');
  const size = (field?.type as { listSize?: number } | undefined)?.listSize;
  return typeof size === 'number' ? size : 384;
}

/** A vector query tuned for the ANN index (the settings do nothing to an exact scan). */
export function tuneVectorQuery(query: lancedb.VectorQuery): lancedb.VectorQuery {
  return query.nprobes(VECTOR_NPROBES).refineFactor(VECTOR_REFINE_FACTOR);
}
