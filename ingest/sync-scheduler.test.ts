import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSyncScheduler } from './sync-scheduler.ts';

/** A sync that takes `milliseconds` of (fake) time and records when it started and what it covered. */
function recorder(milliseconds: number | (() => number), outcome: () => boolean = () => true) {
  const runs: Array<{ startedAt: number; coversFrom: number }> = [];
  const run = async (coversFrom: number) => {
    runs.push({ startedAt: Date.now(), coversFrom });
    await new Promise((resolve) => setTimeout(resolve, typeof milliseconds === 'function' ? milliseconds() : milliseconds));
    return outcome();
  };
  return { runs, run };
}

describe('when the watcher syncs', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps syncing after a change that lands just before a sync ends and a follow-up sync shorter than the debounce', async () => {
    // The sequence that stopped the old watcher for good: a change 100 ms before the end of a 2 s sync, a 50 ms
    // follow-up sync, then the change's own debounce timer firing after both.
    let duration = 2000;
    const { runs, run } = recorder(() => duration);
    const scheduler = createSyncScheduler({ debounceMs: 300, maxWaitMs: 5000, run });
    scheduler.syncNow();
    await vi.advanceTimersByTimeAsync(1900);
    scheduler.changed();
    duration = 50;
    await vi.advanceTimersByTimeAsync(2000);
    expect(runs.length).toBe(2);
    // Much later, another change is still synced.
    await vi.advanceTimersByTimeAsync(60_000);
    scheduler.changed();
    await vi.advanceTimersByTimeAsync(400);
    expect(runs.length).toBe(3);
    expect(scheduler.running).toBe(false);
    expect(scheduler.pendingSince).toBeUndefined();
    await scheduler.close();
  });

  it('turns a burst into one sync after the quiet time', async () => {
    const { runs, run } = recorder(100);
    const scheduler = createSyncScheduler({ debounceMs: 1500, maxWaitMs: 5000, run });
    for (let index = 0; index < 100; index++) {
      scheduler.changed();
      await vi.advanceTimersByTimeAsync(10);
    }
    // The last change was at 990 ms: the sync starts 1500 ms after it.
    await vi.advanceTimersByTimeAsync(1489);
    expect(runs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(2);
    expect(runs).toHaveLength(1);
    expect(runs[0]?.startedAt).toBe(2490);
    await vi.advanceTimersByTimeAsync(200);
    await scheduler.close();
  });

  it('syncs a steady trickle no later than the maximum wait after each change', async () => {
    const { runs, run } = recorder(500);
    const scheduler = createSyncScheduler({ debounceMs: 1500, maxWaitMs: 5000, run });
    const seen: number[] = [];
    for (let second = 0; second < 60; second++) {
      seen.push(Date.now());
      scheduler.changed();
      await vi.advanceTimersByTimeAsync(1000);
    }
    await vi.advanceTimersByTimeAsync(10_000);
    // Each change is covered by the first sync that starts after it; that start is at most 5 s later.
    for (const at of seen) {
      const covering = runs.find((entry) => entry.startedAt >= at);
      expect(covering, `change at ${at}`).toBeDefined();
      expect((covering?.startedAt ?? Infinity) - at).toBeLessThanOrEqual(5000);
    }
    expect(runs.length).toBeGreaterThanOrEqual(10);
    await vi.advanceTimersByTimeAsync(1000);
    await scheduler.close();
  });

  it('syncs changes seen during a long sync right after it, and retries failed syncs without losing changes', async () => {
    let fail = true;
    const { runs, run } = recorder(10_000, () => !fail);
    const scheduler = createSyncScheduler({ debounceMs: 300, maxWaitMs: 5000, run, retryMinMs: 2000 });
    scheduler.syncNow();
    await vi.advanceTimersByTimeAsync(1000);
    scheduler.changed(); // during the first (failing) sync
    await vi.advanceTimersByTimeAsync(9001);
    expect(scheduler.failures).toBe(1);
    expect(scheduler.pendingSince).toBe(0); // the oldest change still waits
    await vi.advanceTimersByTimeAsync(2000); // the retry pause
    expect(runs).toHaveLength(2);
    expect(runs[1]?.startedAt).toBe(12_000);
    expect(runs[1]?.coversFrom).toBe(0);
    fail = false;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(scheduler.failures).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toHaveLength(2); // nothing left to do
    await scheduler.close();
  });
});
