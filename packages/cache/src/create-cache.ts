import { Cluster, Redis } from 'ioredis';
import { Cache } from './cache.js';
import { CacheOptionsError } from './errors.js';
import { KeyLayout } from './keys.js';
import { type CacheOptions, type RedisClient, type RedisConnectionOptions, resolveOptions } from './options.js';

/**
 * Creates a cache. Pass an ioredis `Redis` or `Cluster` you own (the cache never closes it), or connection
 * options (the cache creates the connection, owns it and closes it in `close()`).
 *
 * ```ts
 * const cache = createCache({ namespace: 'app', redis: { url: 'redis://127.0.0.1:6379' } });
 * const user = await cache.getOrSet(`user:${id}`, () => db.findUser(id), { ttl: '5m', grace: '1h' });
 * ```
 */
export function createCache(options: CacheOptions): Cache {
  const resolved = resolveOptions(options);
  const keys = new KeyLayout(resolved.namespace);
  if (isClient(options.redis)) return new Cache(resolved, keys, options.redis, false);
  return new Cache(resolved, keys, connect(options.redis, resolved.commandTimeout), true);
}

function isClient(value: unknown): value is RedisClient {
  return (
    value instanceof Redis ||
    value instanceof Cluster ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as { callBuffer?: unknown }).callBuffer === 'function')
  );
}

function connect(options: RedisConnectionOptions, commandTimeout: number): RedisClient {
  // Commands fail after one retry instead of queueing for ever; the cache adds its own timeout on top.
  const defaults = { maxRetriesPerRequest: 1, commandTimeout: commandTimeout * 2 };
  if (options.cluster !== undefined) {
    if (options.url !== undefined) throw new CacheOptionsError('redis', 'give either url or cluster, not both');
    return new Cluster(options.cluster, {
      ...options.options,
      redisOptions: { ...defaults, ...options.options?.redisOptions },
    });
  }
  if (options.url !== undefined) return new Redis(options.url, { ...defaults, ...options.options });
  return new Redis({ ...defaults, ...options.options });
}
