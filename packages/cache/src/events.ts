import type { CircuitState } from './circuit-breaker.js';
import type { CacheError } from './errors.js';

/** Bus message kinds: hard delete, soft expire, lease wake-up, tag invalidation, namespace clear. */
export const BUS_MESSAGE_TYPES = ['d', 's', 'w', 't', 'c'] as const;
/** Union of bus message kinds. */
export type BusMessageType = (typeof BUS_MESSAGE_TYPES)[number];

/** Why a stale value was served instead of a fresh one. */
export type StaleReason = 'soft-timeout' | 'loader-error' | 'lease-timeout' | 'redis-down';

/**
 * Every event the cache emits, with its payload. Keys appear in payloads (they are the application's
 * own identifiers); values never do.
 */
export interface CacheEventMap {
  /** A fresh value was served from L1 (memory) or L2 (Redis). */
  hit: { key: string; tier: 'l1' | 'l2' };
  /** No fresh value in any tier. */
  miss: { key: string };
  /** A loader finished. `cached` is false when the write-back was skipped or rejected. */
  load: { key: string; durationMillis: number; ok: boolean; cached: boolean; error?: unknown };
  /** Another process holds the lease; this one waits for its result. */
  'lease-wait': { key: string };
  /** The wait for another process's lease ran out; the caller fell back (stale value or own load). */
  'lease-timeout': { key: string };
  /** A stale value (within grace) was served. */
  'stale-served': { key: string; reason: StaleReason };
  /** XFetch started a background refresh of a still-fresh key. */
  'early-refresh': { key: string };
  /** A write-back was rejected because the key was invalidated while the loader ran. */
  'stale-set-prevented': { key: string };
  /** A bus message from another process was applied. `lagMillis` uses both hosts' clocks: a metric only. */
  'bus-message': { type: BusMessageType; lagMillis: number };
  /** The bus subscription went down (L1 is flushed and bypassed) or came back (L1 flushed again, re-enabled). */
  'bus-state': { connected: boolean };
  /** The circuit breaker changed state. */
  circuit: { state: CircuitState };
  /** A Redis failure the cache absorbed (fail-open) or is about to throw. */
  error: { operation: string; error: CacheError };
}

/** Name of a cache event. */
export type CacheEventName = keyof CacheEventMap;

/** A listener for one event. */
export type CacheListener<E extends CacheEventName> = (payload: CacheEventMap[E]) => void;

/**
 * A minimal typed emitter. Not Node's EventEmitter: an `error` event without listeners must not throw
 * (fail-open means errors are information), and the hot path needs a cheap "anyone listening?" check.
 */
export class CacheEvents {
  readonly #listeners = new Map<CacheEventName, Set<(payload: never) => void>>();

  /** Subscribes; returns the unsubscribe function. */
  on<E extends CacheEventName>(event: E, listener: CacheListener<E>): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as (payload: never) => void);
    return () => this.off(event, listener);
  }

  /** Unsubscribes. */
  off<E extends CacheEventName>(event: E, listener: CacheListener<E>): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    set.delete(listener as (payload: never) => void);
    if (set.size === 0) this.#listeners.delete(event);
  }

  /** Whether anyone listens, so callers can skip building payloads. */
  has(event: CacheEventName): boolean {
    return this.#listeners.has(event);
  }

  /** Calls listeners synchronously; a throwing listener cannot break the cache. */
  emit<E extends CacheEventName>(event: E, payload: CacheEventMap[E]): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        (listener as CacheListener<E>)(payload);
      } catch {
        // listener bugs are the listener's problem; the cache keeps serving
      }
    }
  }
}

/** Counters since the cache was created, plus current L1 occupancy. A plain snapshot object. */
export interface CacheStats {
  l1Hits: number;
  l2Hits: number;
  misses: number;
  loads: number;
  loadErrors: number;
  leaseWaits: number;
  leaseTimeouts: number;
  staleServed: number;
  earlyRefreshes: number;
  staleSetsPrevented: number;
  busMessages: number;
  /** Sum of bus message lags, for an average (cross-host clocks: indicative only). */
  busLagMillisTotal: number;
  busLagMillisMax: number;
  busReconnects: number;
  redisErrors: number;
  l1Evictions: number;
  l1Entries: number;
  l1Bytes: number;
  circuit: CircuitState;
}

/** Fresh zeroed counters. */
export function emptyStats(): CacheStats {
  return {
    l1Hits: 0,
    l2Hits: 0,
    misses: 0,
    loads: 0,
    loadErrors: 0,
    leaseWaits: 0,
    leaseTimeouts: 0,
    staleServed: 0,
    earlyRefreshes: 0,
    staleSetsPrevented: 0,
    busMessages: 0,
    busLagMillisTotal: 0,
    busLagMillisMax: 0,
    busReconnects: 0,
    redisErrors: 0,
    l1Evictions: 0,
    l1Entries: 0,
    l1Bytes: 0,
    circuit: 'closed',
  };
}
