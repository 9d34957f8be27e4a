/**
 * The live event bus: after a change is committed to the records, its events are published here, and every open
 * live stream (SSE) subscribed to that conversation, or to all of them (agents), hears it. Besides committed events
 * it carries two ephemeral signals that are never stored: typing, and agent presence.
 *
 * One process today (`createMemoryBus`). With several replicas (PostgreSQL) the same interface is implemented with
 * LISTEN/NOTIFY: `publish` NOTIFYs a small JSON (an event's `seq` and conversation, or the signal itself), and each
 * replica's listener re-reads the event by seq and calls its local subscribers, so a stream on any replica hears
 * every change. Subscribers therefore never rely on more than the event record and the signal fields below.
 */
import type { ConversationEvent } from '../records/types.ts';

export type LiveSignal =
  /** A committed change (its `seq` is the SSE id: a stream that reconnects replays from the records after it). */
  | { kind: 'event'; event: ConversationEvent }
  /** Someone is typing in a conversation (not stored, no id). */
  | { kind: 'typing'; conversationId: string; who: 'customer' | 'agent'; agentId?: string; name?: string }
  /**
   * An agent is online (a workspace stream is open; no conversationId), viewing a conversation, or left it. Valid
   * for `ttlMs` unless renewed, so a replica that dies does not leave agents "online" forever.
   */
  | { kind: 'presence'; agentId: string; name: string; conversationId?: string; state: 'online' | 'viewing' | 'left'; ttlMs: number };

export type LiveListener = (signal: LiveSignal) => void;

export interface EventBus {
  /** Delivers to the subscribers of the signal's conversation and to those of all conversations. Never throws. */
  publish(signal: LiveSignal): void;
  /** `conversationId`: that conversation's signals only; omitted: every signal. Returns the unsubscribe function. */
  subscribe(options: { conversationId?: string }, listener: LiveListener): () => void;
  /** Subscribers right now (for metrics and the bench). */
  size(): number;
  close(): Promise<void>;
}

function conversationOf(signal: LiveSignal): string | undefined {
  if (signal.kind === 'event') return signal.event.conversationId;
  return signal.conversationId;
}

/**
 * The in-process bus. Subscribers are indexed by conversation, so a message reaches its customer's stream without
 * looking at the other streams.
 *
 * @example
 *   const bus = createMemoryBus({ onError: (error) => log.warn({ err: error }, 'live listener failed') });
 *   const stop = bus.subscribe({ conversationId }, (signal) => send(signal));
 */
export function createMemoryBus(options: { onError?: (error: unknown) => void } = {}): EventBus {
  const everything = new Set<LiveListener>();
  const byConversation = new Map<string, Set<LiveListener>>();
  const call = (listener: LiveListener, signal: LiveSignal): void => {
    try {
      listener(signal);
    } catch (error) {
      options.onError?.(error);
    }
  };
  return {
    publish(signal) {
      const conversationId = conversationOf(signal);
      if (conversationId !== undefined) for (const listener of byConversation.get(conversationId) ?? []) call(listener, signal);
      for (const listener of everything) call(listener, signal);
    },
    subscribe({ conversationId }, listener) {
      if (conversationId === undefined) {
        everything.add(listener);
        return () => everything.delete(listener);
      }
      let listeners = byConversation.get(conversationId);
      if (!listeners) {
        listeners = new Set();
        byConversation.set(conversationId, listeners);
      }
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) byConversation.delete(conversationId);
      };
    },
    size() {
      let count = everything.size;
      for (const listeners of byConversation.values()) count += listeners.size;
      return count;
    },
    close: async () => {
      everything.clear();
      byConversation.clear();
    },
  };
}
