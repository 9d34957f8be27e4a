/**
 * Who is online and who is looking at which conversation, from the bus's presence signals (so, with a bus shared by
 * replicas, from every replica). Entries expire unless renewed: a closed laptop or a dead replica drops out by itself.
 */
import type { EventBus } from './bus.ts';

export interface PresentAgent {
  agentId: string;
  name: string;
}

export interface Presence {
  /** Agents with an open workspace. */
  online(): PresentAgent[];
  /** Agents viewing the conversation now. */
  viewers(conversationId: string): PresentAgent[];
  stop(): void;
}

/**
 * Follows presence signals on the bus.
 *
 * @example
 *   const presence = trackPresence({ bus });
 *   presence.viewers(conversationId) // [{ agentId, name }]
 */
export function trackPresence(options: { bus: EventBus; now?: () => number }): Presence {
  const now = options.now ?? Date.now;
  const online = new Map<string, PresentAgent & { until: number }>();
  const viewing = new Map<string, Map<string, PresentAgent & { until: number }>>();
  const unsubscribe = options.bus.subscribe({}, (signal) => {
    if (signal.kind !== 'presence') return;
    const entry = { agentId: signal.agentId, name: signal.name, until: now() + signal.ttlMs };
    if (signal.conversationId === undefined) {
      if (signal.state === 'left') online.delete(signal.agentId);
      else online.set(signal.agentId, entry);
      if (signal.state === 'left') for (const viewers of viewing.values()) viewers.delete(signal.agentId);
      return;
    }
    let viewers = viewing.get(signal.conversationId);
    if (!viewers) {
      viewers = new Map();
      viewing.set(signal.conversationId, viewers);
    }
    if (signal.state === 'left') viewers.delete(signal.agentId);
    else viewers.set(signal.agentId, entry);
    if (viewers.size === 0) viewing.delete(signal.conversationId);
  });
  const live = (entries: Iterable<PresentAgent & { until: number }>): PresentAgent[] => {
    const at = now();
    return [...entries].filter((entry) => entry.until > at).map(({ agentId, name }) => ({ agentId, name }));
  };
  return {
    online: () => live(online.values()),
    viewers: (conversationId) => live(viewing.get(conversationId)?.values() ?? []),
    stop: unsubscribe,
  };
}
