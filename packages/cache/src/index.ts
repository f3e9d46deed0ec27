export type { BatchLoader, BatchResult } from './batch-loader.js';
export { Cache } from './cache.js';
export type { CircuitState } from './circuit-breaker.js';
export { createCache } from './create-cache.js';
export type { Duration } from './duration.js';
export { parseDuration } from './duration.js';
export type { EntryMeta } from './envelope.js';
export * from './errors.js';
export type {
  BusMessageType,
  CacheEventMap,
  CacheEventName,
  CacheListener,
  CacheStats,
  StaleReason,
} from './events.js';
export type { Freshness, ReadAction, TagVerdict, TagVersion } from './freshness.js';
export { classify, decide, shouldRefreshEarly, tagVerdict } from './freshness.js';
export type { Loader, LoaderContext } from './loader-context.js';
export { Lru } from './lru.js';
export type { CacheOptions, EntryOptions, RedisClient, RedisConnectionOptions } from './options.js';
export type { Serializer } from './serializer.js';
export { defaultSerializer } from './serializer.js';
