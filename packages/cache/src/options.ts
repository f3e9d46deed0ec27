import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { type Duration, parseDuration } from './duration.js';
import { CacheOptionsError } from './errors.js';
import { defaultSerializer, type Serializer } from './serializer.js';

/** A connection the caller owns: the cache uses it and never closes it. */
export type RedisClient = Redis | Cluster;

/** Connection options: the cache creates the connection, owns it and closes it in `close()`. */
export interface RedisConnectionOptions {
  /** `redis://` URL of a standalone server. */
  url?: string;
  /** Startup nodes of a Redis Cluster (instead of `url`). */
  cluster?: ClusterNode[];
  /** Extra ioredis options (standalone), or cluster options. */
  options?: RedisOptions & ClusterOptions;
}

/** Per-entry behaviour; set namespace-wide in `defaults`, override per call. */
export interface EntryOptions {
  /** How long a value is fresh. Default `'1m'`. */
  ttl?: Duration;
  /** How long after `ttl` a stale value may still be served (while refreshing, or if the loader fails). Default 0. */
  grace?: Duration;
  /**
   * With a stale value in hand: how long to wait for the fresh one before serving stale (the load goes on
   * in the background). Default 0: stale-while-revalidate.
   */
  softTimeout?: Duration;
  /** Without a stale value: how long to wait for the loader before throwing `CacheLoaderTimeoutError`. Default 0 (none). */
  hardTimeout?: Duration;
  /** XFetch β: 0/false disables probabilistic early refresh; 1 is the paper's default. Default 1. */
  earlyRefresh?: number | false;
  /** Tags to attach to the entry, for `invalidateTags` / `expireTags`. */
  tags?: readonly string[];
}

/** Options of {@link createCache}. */
export interface CacheOptions {
  /** Prefix of every Redis key and of the bus channel; caches with one namespace share entries. */
  namespace: string;
  /** An ioredis `Redis` or `Cluster` you own, or options for one the cache creates and owns. */
  redis: RedisClient | RedisConnectionOptions;
  /** In-process LRU (L1). `false` disables it. Default `{ maxEntries: 10_000, maxBytes: 64 MiB }`. */
  l1?: false | { maxEntries?: number; maxBytes?: number };
  /**
   * Invalidation bus over Redis pub/sub. Default true. Without it, L1 entries are not invalidated by other
   * processes (they live until their TTL): only for a single process.
   */
  bus?: boolean;
  /** Value encoding. Default {@link defaultSerializer}. */
  serializer?: Serializer;
  /** Default entry options. */
  defaults?: Omit<EntryOptions, 'tags'>;
  /**
   * Cluster-wide single-flight. `ttl`: how long a lease lives unless its holder renews it (holders renew
   * every ttl/3, so only a dead holder's lease expires), default `'5s'`. `waitTimeout`: how long a caller
   * waits for another process's load before falling back, default `'10s'`.
   */
  lease?: { ttl?: Duration; waitTimeout?: Duration };
  /** Timeout of every Redis command. Default `'1s'`. */
  commandTimeout?: Duration;
  /** Breaker that skips a failing Redis. Default `{ failureThreshold: 5, resetTimeout: '2s' }`; `false` disables. */
  circuitBreaker?: false | { failureThreshold?: number; resetTimeout?: Duration };
  /**
   * Default false (fail open): Redis failures in reads and write-backs are emitted as `error` events and the
   * cache falls back to L1/the loader. True: they are thrown. Invalidations always throw on failure, since a
   * lost invalidation means stale data.
   */
  throwOnRedisError?: boolean;
  /**
   * `'shared'` (default): values shared between callers (L1 hits, results handed to concurrent callers) are
   * deep-frozen; a value only one caller holds (its own loader's result, a fresh decode from Redis) is not
   * frozen, which keeps L2 hits as cheap as a raw GET + parse. `'always'`: every returned value is frozen,
   * so code that mutates results fails in tests as it would on an L1 hit.
   */
  freeze?: 'shared' | 'always';
}

/** Entry options resolved to numbers. */
export interface ResolvedEntryOptions {
  ttl: number;
  grace: number;
  softTimeout: number;
  hardTimeout: number;
  earlyRefresh: number;
  tags: readonly string[];
}

/** All options resolved to numbers and defaults applied, once. */
export interface ResolvedOptions {
  namespace: string;
  l1: false | { maxEntries: number; maxBytes: number };
  bus: boolean;
  serializer: Serializer;
  defaults: ResolvedEntryOptions;
  leaseTtl: number;
  leaseWaitTimeout: number;
  commandTimeout: number;
  breaker: false | { failureThreshold: number; resetMillis: number };
  throwOnRedisError: boolean;
  freezeAlways: boolean;
}

const NO_TAGS: readonly string[] = Object.freeze([]);

/** Applies documented defaults and validates. */
export function resolveOptions(options: CacheOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new CacheOptionsError('options', 'must be an object');
  const l1 =
    options.l1 === false
      ? false
      : {
          maxEntries: positiveInt(options.l1?.maxEntries ?? 10_000, 'l1.maxEntries'),
          maxBytes: positiveInt(options.l1?.maxBytes ?? 64 * 1024 * 1024, 'l1.maxBytes'),
        };
  const base: ResolvedEntryOptions = {
    ttl: 60_000,
    grace: 0,
    softTimeout: 0,
    hardTimeout: 0,
    earlyRefresh: 1,
    tags: NO_TAGS,
  };
  const defaults = resolveEntryOptions(base, options.defaults, 'defaults');
  const cb = options.circuitBreaker;
  return {
    namespace: options.namespace,
    l1,
    bus: options.bus ?? true,
    serializer: options.serializer ?? defaultSerializer,
    defaults,
    leaseTtl: Math.max(100, parseDuration(options.lease?.ttl ?? '5s', 'lease.ttl')),
    leaseWaitTimeout: parseDuration(options.lease?.waitTimeout ?? '10s', 'lease.waitTimeout'),
    commandTimeout: Math.max(1, parseDuration(options.commandTimeout ?? '1s', 'commandTimeout')),
    breaker:
      cb === false
        ? false
        : {
            failureThreshold: positiveInt(cb?.failureThreshold ?? 5, 'circuitBreaker.failureThreshold'),
            resetMillis: parseDuration(cb?.resetTimeout ?? '2s', 'circuitBreaker.resetTimeout'),
          },
    throwOnRedisError: options.throwOnRedisError ?? false,
    freezeAlways: options.freeze === 'always',
  };
}

/** Merges per-call options over resolved defaults. */
export function resolveEntryOptions(
  base: ResolvedEntryOptions,
  over: EntryOptions | undefined,
  path = 'options',
): ResolvedEntryOptions {
  if (over === undefined) return base;
  const ttl = over.ttl === undefined ? base.ttl : parseDuration(over.ttl, `${path}.ttl`);
  if (ttl <= 0) throw new CacheOptionsError(`${path}.ttl`, 'must be > 0');
  const beta = over.earlyRefresh;
  return {
    ttl,
    grace: over.grace === undefined ? base.grace : parseDuration(over.grace, `${path}.grace`),
    softTimeout:
      over.softTimeout === undefined ? base.softTimeout : parseDuration(over.softTimeout, `${path}.softTimeout`),
    hardTimeout:
      over.hardTimeout === undefined ? base.hardTimeout : parseDuration(over.hardTimeout, `${path}.hardTimeout`),
    earlyRefresh:
      beta === undefined ? base.earlyRefresh : beta === false ? 0 : nonNegative(beta, `${path}.earlyRefresh`),
    tags: over.tags ?? base.tags,
  };
}

function positiveInt(value: number, option: string): number {
  if (!Number.isInteger(value) || value <= 0)
    throw new CacheOptionsError(option, `must be a positive integer, got ${value}`);
  return value;
}

function nonNegative(value: number, option: string): number {
  if (!Number.isFinite(value) || value < 0) throw new CacheOptionsError(option, `must be a number >= 0, got ${value}`);
  return value;
}
