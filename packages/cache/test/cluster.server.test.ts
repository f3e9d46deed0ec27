import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisClusterHandle, redisOrSkip, startRedisCluster, stopAllRedis } from '../../../test/support/redis.js';
import { type Cache, createCache } from '../src/index.js';
import { deferred, eventually, sleep, uniqueNamespace } from './helpers/setup.js';

describe.skipIf(!redisOrSkip())('@dbsage/cache on a 3-master Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  const clients: Cluster[] = [];
  const caches: Cache[] = [];

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
  });

  afterAll(async () => {
    await Promise.all(caches.map((c) => c.close()));
    for (const c of clients) c.disconnect();
    await stopAllRedis();
  });

  async function make(namespace: string): Promise<Cache> {
    const client = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
    client.on('error', () => {});
    clients.push(client);
    const cache = createCache({ namespace, redis: client });
    caches.push(cache);
    await cache.ready();
    return cache;
  }

  it('keys spread over slots; stampede across instances loads once; bus and tags work', async () => {
    const ns = uniqueNamespace('cluster');
    const [a, b] = [await make(ns), await make(ns)];
    let calls = 0;
    const results = await Promise.all(
      [a, b].flatMap((c) =>
        Array.from({ length: 100 }, () =>
          c.getOrSet('hot', async () => {
            calls++;
            await sleep(50);
            return 'v';
          }),
        ),
      ),
    );
    expect(calls).toBe(1);
    expect(new Set(results)).toEqual(new Set(['v']));

    const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
    const batches: number[] = [];
    const values = await a.getOrSetMany(
      keys,
      async (ks) => {
        batches.push(ks.length);
        return ks.map((k) => k.toUpperCase());
      },
      { tags: ['all'] },
    );
    expect(values).toEqual(keys.map((k) => k.toUpperCase()));
    expect(batches).toEqual([30]);
    expect(await b.getMany(keys)).toEqual(values);

    await b.get('k1');
    expect(await b.get('k1')).toBe('K1'); // L1
    await a.delete('k1');
    await eventually(async () => (await b.get('k1')) === undefined, 2_000);
    await a.invalidateTags(['all']);
    await eventually(async () => (await b.get('k2')) === undefined, 2_000);
  });

  it('no stale set on a Cluster: delete during a slow load wins', async () => {
    const ns = uniqueNamespace('cstale');
    const [a, b] = [await make(ns), await make(ns)];
    const gate = deferred<void>();
    const slow = a.getOrSet('row', async () => {
      await gate.promise;
      return 'old';
    });
    await sleep(50);
    await b.delete('row');
    gate.resolve();
    await slow;
    expect(a.stats().staleSetsPrevented).toBe(1);
    expect(await b.getOrSet('row', () => 'new')).toBe('new');
  });

  it('clear() scans every master', async () => {
    const ns = uniqueNamespace('cclear');
    const a = await make(ns);
    for (let i = 0; i < 40; i++) await a.set(`k${i}`, i);
    await a.clear();
    expect(await a.getMany(Array.from({ length: 40 }, (_, i) => `k${i}`))).toEqual(new Array(40).fill(undefined));
  });
});
