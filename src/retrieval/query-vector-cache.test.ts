import { describe, expect, it } from 'vitest';
import { createQueryVectorCache } from './query-vector-cache.ts';

function countingEmbedder(modelId = 'model-a') {
  const calls: string[] = [];
  return {
    calls,
    embedder: {
      modelId,
      async embedQuery(text: string): Promise<number[]> {
        calls.push(text);
        if (text === 'fail') throw new Error('model failed');
        return [text.length, calls.length];
      },
    },
  };
}

describe('query vector cache', () => {
  it('embeds a repeated question once, and concurrent asks share one embedding', async () => {
    const { calls, embedder } = countingEmbedder();
    const cache = createQueryVectorCache({ embedder, size: 10 });
    const [first, second] = await Promise.all([cache.embedQuery('refund?'), cache.embedQuery('refund?')]);
    expect(second).toBe(first);
    expect(await cache.embedQuery('refund?')).toEqual([7, 1]);
    expect(calls).toEqual(['refund?']);
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 2, misses: 1 });
  });

  it('forgets the least recently used question beyond its size', async () => {
    const { calls, embedder } = countingEmbedder();
    const cache = createQueryVectorCache({ embedder, size: 2 });
    await cache.embedQuery('a');
    await cache.embedQuery('b');
    await cache.embedQuery('a'); // a is now the most recent
    await cache.embedQuery('c'); // evicts b
    await cache.embedQuery('a');
    await cache.embedQuery('b');
    expect(calls).toEqual(['a', 'b', 'c', 'b']);
    expect(cache.size).toBe(2);
  });

  it('does not cache failures, and size 0 turns the cache off', async () => {
    const { calls, embedder } = countingEmbedder();
    const cache = createQueryVectorCache({ embedder, size: 5 });
    await expect(cache.embedQuery('fail')).rejects.toThrow('model failed');
    await expect(cache.embedQuery('fail')).rejects.toThrow('model failed');
    expect(calls).toEqual(['fail', 'fail']);
    const off = createQueryVectorCache({ embedder, size: 0 });
    await off.embedQuery('x');
    await off.embedQuery('x');
    expect(calls.filter((text) => text === 'x')).toHaveLength(2);
  });

  it('keeps vectors of different models apart', async () => {
    const a = countingEmbedder('model-a');
    const b = countingEmbedder('model-b');
    let current = a.embedder;
    const switching = { get modelId() { return current.modelId; }, embedQuery: (text: string) => current.embedQuery(text) };
    const cache = createQueryVectorCache({ embedder: switching, size: 5 });
    await cache.embedQuery('same');
    current = b.embedder;
    await cache.embedQuery('same');
    expect([a.calls, b.calls]).toEqual([['same'], ['same']]);
  });
});
