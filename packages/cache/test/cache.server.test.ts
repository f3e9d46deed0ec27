import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, redisOrSkip, startRedisServer, stopAllRedis } from '../../../test/support/redis.js';
import { type Cache, type CacheOptions, createCache } from '../src/index.js';
import { deferred, eventually, sleep, uniqueNamespace } from './helpers/setup.js';

describe.skipIf(!redisOrSkip())('@dbsage/cache on a real Redis', () => {
  let server: RedisServer;
  let admin: Redis;
  const caches: Cache[] = [];
  const clients: Redis[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  beforeAll(async () => {
    server = await startRedisServer();
    admin = connection();
    process.on('unhandledRejection', onUnhandled);
  });

  afterEach(async () => {
    await Promise.all(caches.splice(0).map((c) => c.close()));
    expect(unhandled).toEqual([]);
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    for (const c of clients) c.disconnect();
    await stopAllRedis();
  });

  function connection(): Redis {
    const c = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    c.on('error', () => {});
    clients.push(c);
    return c;
  }

  async function make(namespace: string, options: Partial<CacheOptions> = {}): Promise<Cache> {
    const cache = createCache({ namespace, redis: connection(), commandTimeout: 300, ...options });
    caches.push(cache);
    await cache.ready();
    return cache;
  }

  it('round-trips Date, BigInt, Map, Set and Buffer through L2 and L1 with the same shape', async () => {
    const ns = uniqueNamespace('shape');
    const a = await make(ns);
    const b = await make(ns);
    const value = {
      at: new Date(1_700_000_000_000),
      big: 2n ** 70n,
      m: new Map([['x', 1]]),
      s: new Set(['y']),
      buf: Buffer.from('z'),
    };
    await a.set('k', value, { ttl: '1m' });
    await eventually(() => b.stats().busMessages >= 1); // a's set also tells b to drop any L1 copy
    const fromL2 = await b.get<typeof value>('k');
    const fromL1 = await b.get<typeof value>('k');
    expect(fromL2).toEqual(value);
    expect(fromL1).toEqual(value);
    expect(fromL1!.at).toBeInstanceOf(Date);
    expect(Buffer.isBuffer(fromL1!.buf)).toBe(true);
    expect(b.stats()).toMatchObject({ l2Hits: 1, l1Hits: 1 });
  });

  it('L1 hits return one frozen shared instance that callers cannot mutate', async () => {
    const cache = await make(uniqueNamespace('frozen'));
    await cache.getOrSet('k', () => ({ list: [1, 2], at: new Date(0) }));
    const first = await cache.get<{ list: number[]; at: Date }>('k');
    const second = await cache.get<{ list: number[]; at: Date }>('k');
    expect(first).toBe(second);
    expect(Object.isFrozen(first!.list)).toBe(true);
    expect(() => first!.list.push(3)).toThrow(TypeError);
    expect(() => first!.at.setTime(1)).toThrow(TypeError);
  });

  it('in-process single-flight: 200 concurrent getOrSet on a cold key call the loader once', async () => {
    const cache = await make(uniqueNamespace('sf'));
    let calls = 0;
    const results = await Promise.all(
      Array.from({ length: 200 }, () =>
        cache.getOrSet('cold', async () => {
          calls++;
          await sleep(30);
          return { v: 1 };
        }),
      ),
    );
    expect(calls).toBe(1);
    expect(results.every((r) => (r as { v: number }).v === 1)).toBe(true);
  });

  it('cluster-wide single-flight: 4 instances × 250 concurrent callers → 1 loader call, waiters woken by pub/sub', async () => {
    const ns = uniqueNamespace('lease');
    const instances = await Promise.all([make(ns), make(ns), make(ns), make(ns)]);
    let calls = 0;
    const started = Date.now();
    const all = instances.flatMap((c) =>
      Array.from({ length: 250 }, () =>
        c.getOrSet('hot', async () => {
          calls++;
          await sleep(100);
          return 'value';
        }),
      ),
    );
    expect(new Set(await Promise.all(all))).toEqual(new Set(['value']));
    expect(calls).toBe(1);
    // woken by the holder's PUBLISH, not by the lease expiry (5 s) or a poll
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(instances.reduce((n, c) => n + c.stats().leaseWaits, 0)).toBeGreaterThanOrEqual(1);
  });

  it('no stale set: a delete during a slow load wins, and the next read loads the new value', async () => {
    const ns = uniqueNamespace('staleset');
    const a = await make(ns);
    const b = await make(ns);
    let db = 'old';
    const gate = deferred<void>();
    const slow = a.getOrSet('row', async () => {
      const seen = db;
      await gate.promise;
      return seen;
    });
    await sleep(50);
    db = 'new';
    await b.delete('row');
    gate.resolve();
    expect(await slow).toBe('old'); // the caller that started before the update gets what it read
    expect(a.stats().staleSetsPrevented).toBe(1);
    expect(await admin.exists(`${ns}:v{row}`)).toBe(0);
    expect(await b.getOrSet('row', () => db)).toBe('new');
    expect(await a.getOrSet('row', () => 'unused')).toBe('new');
  });

  it('no stale set with tags: invalidateTags during a slow load leaves the entry invalid', async () => {
    const ns = uniqueNamespace('tagstale');
    const a = await make(ns);
    const b = await make(ns);
    const gate = deferred<void>();
    const slow = a.getOrSet(
      'user:1',
      async (ctx) => {
        ctx.setTags(['user:1']);
        await gate.promise;
        return 'old';
      },
      { ttl: '1m' },
    );
    await sleep(50);
    await b.invalidateTags(['user:1']);
    gate.resolve();
    await slow;
    expect(await b.get('user:1')).toBeUndefined();
    expect(await a.get('user:1')).toBeUndefined();
    expect(await a.getOrSet('user:1', () => 'new', { tags: ['user:1'] })).toBe('new');
    expect(await b.get('user:1')).toBe('new');
  });

  it('bus: a delete in one process evicts the L1 copy in another, carrying no value', async () => {
    const ns = uniqueNamespace('bus');
    const a = await make(ns);
    const b = await make(ns);
    const sub = connection();
    const seen: string[] = [];
    await sub.subscribe(`${ns}:bus`);
    sub.on('message', (_c, m) => seen.push(m));
    await a.set('k', 'secret-v1');
    await eventually(() => b.stats().busMessages >= 1);
    await b.get('k');
    expect(await b.get('k')).toBe('secret-v1');
    expect(b.stats().l1Hits).toBe(1);
    await a.set('k', 'secret-v2');
    await eventually(async () => (await b.get('k')) === 'secret-v2', 2_000);
    await a.delete('k');
    await eventually(async () => (await b.get('k')) === undefined, 2_000);
    await eventually(() => seen.length >= 3);
    expect(seen.join('\n')).not.toContain('secret');
    expect(JSON.parse(seen[0]!)[0]).toBe(a.id); // tagged with the sender id
  });

  it('tags: hard invalidation deletes, soft invalidation serves stale within grace while refreshing', async () => {
    const ns = uniqueNamespace('tags');
    const a = await make(ns);
    const b = await make(ns);
    let version = 1;
    const load = async (): Promise<string> => `v${version}`;
    const opts = { tags: ['org:1'], ttl: '1m', grace: '1m' } as const;
    expect(await a.getOrSet('x', load, opts)).toBe('v1');
    expect(await b.getOrSet('x', load, opts)).toBe('v1');
    version = 2;
    await a.expireTags(['org:1']);
    await eventually(() => b.stats().busMessages >= 1);
    expect(await b.getOrSet('x', load, opts)).toBe('v1'); // stale, refresh started
    await eventually(async () => (await b.getOrSet('x', load, opts)) === 'v2');
    version = 3;
    await a.invalidateTags(['org:1']);
    await eventually(() => b.stats().busMessages >= 2);
    expect(await b.getOrSet('x', load, opts)).toBe('v3'); // hard: no stale served
  });

  it('grace: a failing loader serves the stale value; without grace the error surfaces', async () => {
    const cache = await make(uniqueNamespace('grace'));
    await cache.getOrSet('k', () => 'good', { ttl: 50, grace: '1m' });
    await sleep(80);
    const failing = async (): Promise<string> => {
      throw new Error('db down');
    };
    expect(await cache.getOrSet('k', failing, { ttl: 50, grace: '1m', softTimeout: 500 })).toBe('good');
    expect(cache.stats().staleServed).toBe(1);
    await expect(cache.getOrSet('other', failing)).rejects.toThrow('db down');
  });

  it('soft timeout serves stale and lets the load finish in the background; hard timeout throws', async () => {
    const cache = await make(uniqueNamespace('timeouts'));
    await cache.getOrSet('k', () => 'v1', { ttl: 50, grace: '1m' });
    await sleep(80);
    const t0 = Date.now();
    const v = await cache.getOrSet(
      'k',
      async () => {
        await sleep(300);
        return 'v2';
      },
      { ttl: '1m', grace: '1m', softTimeout: 50 },
    );
    expect(v).toBe('v1');
    expect(Date.now() - t0).toBeLessThan(250);
    await eventually(async () => (await cache.get('k')) === 'v2');
    await expect(
      cache.getOrSet(
        'slow',
        async () => {
          await sleep(400);
          return 'late';
        },
        { hardTimeout: 50 },
      ),
    ).rejects.toMatchObject({ code: 'E_LOADER_TIMEOUT' });
    await eventually(async () => (await cache.get('slow')) === 'late'); // still cached when it finishes
  });

  it('XFetch refreshes a hot key before it expires', async () => {
    const cache = await make(uniqueNamespace('xfetch'));
    let calls = 0;
    const load = async (): Promise<number> => {
      calls++;
      await sleep(20);
      return calls;
    };
    await cache.getOrSet('hot', load, { ttl: 300, earlyRefresh: 4 });
    const deadline = Date.now() + 280;
    while (Date.now() < deadline && calls < 2) {
      await cache.getOrSet('hot', load, { ttl: 300, earlyRefresh: 4 });
      await sleep(2);
    }
    expect(calls).toBe(2);
    expect(cache.stats().earlyRefreshes).toBeGreaterThanOrEqual(1);
  });

  it('loader context sets ttl and tags from the value, or skips caching', async () => {
    const cache = await make(uniqueNamespace('ctx'));
    await cache.getOrSet('a', (ctx) => {
      ctx.setTtl(100);
      return 'short';
    });
    await cache.getOrSet('b', (ctx) => {
      ctx.skip();
      return 'not-cached';
    });
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('a')).toBe('short');
    await sleep(150);
    expect(await cache.get('a')).toBeUndefined();
  });

  it('getMany uses one MGET; getOrSetMany calls the batch loader once for the missing keys', async () => {
    const cache = await make(uniqueNamespace('many'));
    await cache.set('k1', 1);
    const batches: string[][] = [];
    const values = await cache.getOrSetMany(['k1', 'k2', 'k3', 'k2'], async (keys) => {
      batches.push(keys);
      return new Map(keys.filter((k) => k !== 'k3').map((k) => [k, Number(k.slice(1)) * 10]));
    });
    expect(values).toEqual([1, 20, undefined, 20]);
    expect(batches).toEqual([['k2', 'k3']]);
    expect(await cache.getMany(['k1', 'k2', 'k3'])).toEqual([1, 20, undefined]);
  });

  it('clear() removes only this namespace, with SCAN + UNLINK', async () => {
    const ns = uniqueNamespace('clear');
    const other = uniqueNamespace('keep');
    const a = await make(ns);
    const b = await make(other);
    for (let i = 0; i < 50; i++) await a.set(`k${i}`, i);
    await b.set('k', 'kept');
    await admin.set('unrelated', '1');
    await a.clear();
    expect(await admin.keys(`${ns}:v*`)).toEqual([]);
    expect(await b.get('k')).toBe('kept');
    expect(await admin.get('unrelated')).toBe('1');
  });

  it("honours the connection's keyPrefix on the L2 read path as on writes and scripts", async () => {
    const ns = uniqueNamespace('prefix');
    const prefixed = new Redis(server.port, '127.0.0.1', { keyPrefix: 'app1:' });
    clients.push(prefixed);
    const cache = createCache({ namespace: ns, redis: prefixed, l1: false });
    caches.push(cache);
    await cache.ready();
    await cache.set('k', { v: 1 }, { ttl: '1m' });
    expect(await admin.exists(`app1:${ns}:v{k}`)).toBe(1);
    expect(await admin.exists(`${ns}:v{k}`)).toBe(0);
    expect(await cache.get('k')).toEqual({ v: 1 });
    expect(await cache.getOrSet('k', () => ({ v: 2 }))).toEqual({ v: 1 });
    expect(cache.stats()).toMatchObject({ l2Hits: 2, misses: 0 });
  });

  it('never closes a connection it did not create, and closes the one it created', async () => {
    const mine = connection();
    const borrowed = createCache({ namespace: uniqueNamespace('own'), redis: mine });
    await borrowed.ready();
    await borrowed.close();
    expect(mine.status).toBe('ready');
    expect(await mine.ping()).toBe('PONG');
    const owning = createCache({ namespace: uniqueNamespace('own2'), redis: { url: server.url } });
    await owning.ready();
    await owning.set('x', 1);
    await owning.close();
  });

  describe('faults', () => {
    it('lease holder killed: another process loads after the lease expires', async () => {
      const ns = uniqueNamespace('holder');
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(new URL('./helpers/lease-holder.ts', import.meta.url))],
        {
          env: { ...process.env, REDIS_URL: server.url, CACHE_NAMESPACE: ns, CACHE_KEY: 'job' },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('LOADING') && resolve());
        child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
      });
      expect(await admin.exists(`${ns}:l{job}`)).toBe(1);
      child.kill('SIGKILL');
      const cache = await make(ns, { lease: { ttl: 600, waitTimeout: '5s' } });
      const t0 = Date.now();
      expect(await cache.getOrSet('job', () => 'recovered')).toBe('recovered');
      const waited = Date.now() - t0;
      expect(waited).toBeLessThan(2_000); // the lease (600 ms, no longer renewed) expired; not the 5 s wait timeout
      expect(cache.stats()).toMatchObject({ leaseWaits: 1, leaseTimeouts: 0, loads: 1 });
    });

    it('Redis slowed (SIGSTOP): commands time out, callers fall back to the loader without hanging', async () => {
      const slowServer = await startRedisServer();
      try {
        const errors: string[] = [];
        const cache = createCache({
          namespace: uniqueNamespace('slow'),
          redis: { url: slowServer.url, options: { retryStrategy: () => 50 } },
          commandTimeout: 100,
          circuitBreaker: { failureThreshold: 3, resetTimeout: 300 },
        });
        caches.push(cache);
        cache.on('error', (e) => errors.push(e.error.code));
        await cache.ready();
        await cache.set('k', 'cached');
        slowServer.pause();
        // a plain get times out too (it has its own send path) and reads as a miss, fail-open
        const tg = Date.now();
        expect(await cache.get('absent')).toBeUndefined();
        expect(Date.now() - tg).toBeLessThan(400);
        expect(errors).toEqual(['E_REDIS_TIMEOUT']);
        const t0 = Date.now();
        expect(await cache.getOrSet('k2', () => 'from-loader')).toBe('from-loader');
        expect(Date.now() - t0).toBeLessThan(500);
        expect(errors).toContain('E_REDIS_TIMEOUT');
        // breaker opens: the next callers skip Redis entirely
        for (let i = 0; i < 3; i++) await cache.getOrSet(`k${i + 3}`, () => 'x');
        expect(cache.stats().circuit).toBe('open');
        const t1 = Date.now();
        expect(await cache.getOrSet('k9', () => 'fast')).toBe('fast');
        expect(Date.now() - t1).toBeLessThan(50);
        await expect(cache.delete('k')).rejects.toMatchObject({
          code: expect.stringMatching(/^E_(CIRCUIT_OPEN|REDIS_TIMEOUT|REDIS)$/),
        });
        slowServer.resume();
        await sleep(350);
        await eventually(async () => (await cache.get('k')) === 'cached', 3_000);
        expect(cache.stats().circuit).toBe('closed');
      } finally {
        await slowServer.stop();
      }
    });

    it('Redis killed during a load, then restarted: fail open, bus resubscribes, L1 flushed, no stale read', async () => {
      const s = await startRedisServer();
      try {
        const ns = uniqueNamespace('restart');
        const opts = { namespace: ns, commandTimeout: 200, circuitBreaker: { failureThreshold: 3, resetTimeout: 200 } };
        const mk = (): Cache => {
          const c = createCache({ ...opts, redis: { url: s.url, options: { retryStrategy: () => 50 } } });
          caches.push(c);
          return c;
        };
        const a = mk();
        const b = mk();
        await Promise.all([a.ready(), b.ready()]);
        await a.set('k', 'v1');
        expect(await b.get('k')).toBe('v1');
        expect(await b.get('k')).toBe('v1'); // L1
        const gate = deferred<void>();
        const during = a.getOrSet('loading', async () => {
          await gate.promise;
          return 'loaded';
        });
        await sleep(30);
        await s.kill();
        gate.resolve();
        expect(await during).toBe('loaded'); // write-back fails, the caller still gets its value
        expect(await b.getOrSet('k', () => 'from-db-while-down')).toBe('from-db-while-down'); // L1 bypassed while the bus is down
        await s.restart();
        await eventually(() => b.stats().busReconnects >= 1 && a.stats().busReconnects >= 1, 5_000);
        await a.set('k', 'v2');
        expect(await b.get('k')).toBe('v2');
        expect(b.stats().l1Entries).toBeLessThanOrEqual(1);
      } finally {
        await s.stop();
      }
    });

    it('subscriber dropped while another process updates: nothing missed stays stale', async () => {
      const ns = uniqueNamespace('reconnect');
      const a = await make(ns);
      const b = await make(ns);
      await a.set('k', 'v1');
      await b.get('k');
      expect(await b.get('k')).toBe('v1');
      let staleReads = 0;
      // kill b's subscriber connection (pub/sub messages sent now are lost), then update from a
      const list = await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub');
      const ids = String(list)
        .split('\n')
        .filter((l) => l.includes(`sub=1`))
        .map((l) => /id=(\d+)/.exec(l)?.[1])
        .filter(Boolean) as string[];
      for (const id of ids) await admin.client('KILL', 'ID', id);
      await a.set('k', 'v2');
      for (let i = 0; i < 50; i++) {
        if ((await b.get('k')) === 'v1') staleReads++;
        await sleep(5);
      }
      await eventually(() => b.stats().busReconnects >= 1);
      for (let i = 0; i < 20; i++) if ((await b.get('k')) === 'v1') staleReads++;
      expect(staleReads).toBe(0);
    });
  });
});
