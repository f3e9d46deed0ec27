/**
 * The three caches under test, behind one small interface, each configured the way its documentation
 * recommends for a two-tier (memory + Redis) setup with a bus where it has one.
 */
import KeyvRedis from '@keyv/redis';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';
import { createCache as createCacheManager } from 'cache-manager';
import { Redis } from 'ioredis';
import { Keyv } from 'keyv';
import { createCache } from '../../packages/cache/src/index.js';

export type LibName = 'dbsage' | 'bentocache' | 'cache-manager';

export interface BenchCache {
  get(key: string): Promise<unknown>;
  getOrSet(key: string, loader: () => Promise<unknown>, ttlMillis: number): Promise<unknown>;
  set(key: string, value: unknown, ttlMillis: number): Promise<void>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

export interface LibOptions {
  port: number;
  namespace: string;
  l1: boolean;
}

export async function openCache(lib: LibName, o: LibOptions): Promise<BenchCache> {
  if (lib === 'dbsage') {
    const redis = new Redis(o.port, '127.0.0.1');
    const cache = createCache({
      namespace: o.namespace,
      redis,
      l1: o.l1 ? { maxEntries: 100_000, maxBytes: 512 * 1024 * 1024 } : false,
      defaults: { earlyRefresh: false },
    });
    await cache.ready();
    return {
      get: (k) => cache.get(k),
      getOrSet: (k, f, ttl) => cache.getOrSet(k, f, { ttl }),
      set: (k, v, ttl) => cache.set(k, v, { ttl }),
      delete: (k) => cache.delete(k),
      close: async () => {
        await cache.close();
        redis.disconnect();
      },
    };
  }
  if (lib === 'bentocache') {
    const redis = new Redis(o.port, '127.0.0.1');
    const store = bentostore();
    if (o.l1) store.useL1Layer(memoryDriver({ maxSize: '512mb' }));
    store.useL2Layer(redisDriver({ connection: redis }));
    if (o.l1) store.useBus(redisBusDriver({ connection: { host: '127.0.0.1', port: o.port } }));
    const bento = new BentoCache({ default: 'c', prefix: o.namespace, stores: { c: store } });
    return {
      get: (k) => bento.get({ key: k }),
      getOrSet: (k, f, ttl) => bento.getOrSet({ key: k, factory: f, ttl }),
      set: async (k, v, ttl) => {
        await bento.set({ key: k, value: v, ttl });
      },
      delete: async (k) => {
        await bento.delete({ key: k });
      },
      close: async () => {
        await bento.disconnectAll();
        redis.disconnect();
      },
    };
  }
  const redisStore = new Keyv({ store: new KeyvRedis(`redis://127.0.0.1:${o.port}`), namespace: o.namespace });
  const stores = o.l1 ? [new Keyv(), redisStore] : [redisStore];
  const cm = createCacheManager({ stores });
  return {
    get: (k) => cm.get(k),
    getOrSet: (k, f, ttl) => cm.wrap(k, f, ttl),
    set: async (k, v, ttl) => {
      await cm.set(k, v, ttl);
    },
    delete: async (k) => {
      await cm.del(k);
    },
    close: async () => {
      await cm.disconnect();
    },
  };
}

/** Row-like JSON of about `bytes` bytes. */
export function makeValue(bytes: number): { items: Record<string, unknown>[]; total: number } {
  const items: Record<string, unknown>[] = [];
  let size = 0;
  while (size < bytes) {
    const i = items.length;
    const row = {
      id: i,
      name: `user${i}`,
      email: `u${i}@example.com`,
      active: i % 3 !== 0,
      score: (i * 7919) % 1000,
      tags: ['a', 'b'],
    };
    items.push(row);
    size += JSON.stringify(row).length + 1;
  }
  return { items, total: items.length };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
