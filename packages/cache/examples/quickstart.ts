/**
 * Runnable README example: `REDIS_URL=redis://127.0.0.1:6379 npx tsx packages/cache/examples/quickstart.ts`
 * Uses the namespace 'quickstart' only; `clear()` at the end removes just that namespace.
 */
import { Redis } from 'ioredis';
import { createCache } from '../src/index.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const cache = createCache({
  namespace: 'quickstart',
  redis, // yours: the cache never closes it
  l1: { maxEntries: 10_000, maxBytes: 32 * 1024 * 1024 },
  defaults: { ttl: '5m', grace: '1h', hardTimeout: '2s' },
});
cache.on('error', ({ operation, error }) => console.warn(`cache ${operation}: ${error.code}`));
await cache.ready();

// A stand-in for the database.
const users = new Map([[1, { id: 1, name: 'Ada', orgId: 7, updatedAt: new Date() }]]);
let queries = 0;
const findUser = async (id: number) => {
  queries++;
  await new Promise((r) => setTimeout(r, 20));
  return users.get(id);
};

const getUser = (id: number) =>
  cache.getOrSet(`user:${id}`, async (ctx) => {
    const user = await findUser(id);
    if (user === undefined)
      ctx.skip(); // do not pin a "not found"
    else ctx.setTags([`org:${user.orgId}`]);
    return user;
  });

// 100 concurrent reads of a cold key: one query (in every process sharing the namespace).
await Promise.all(Array.from({ length: 100 }, () => getUser(1)));
console.log('queries after 100 concurrent reads:', queries);

const user = await getUser(1); // L1 hit: no Redis round trip, a frozen shared object
console.log('L1 hit:', user?.name, user?.updatedAt instanceof Date, Object.isFrozen(user));

// Write to the database, then invalidate: other processes drop their L1 copy over the bus.
users.set(1, { ...users.get(1)!, name: 'Ada Lovelace' });
await cache.delete('user:1');
console.log('after update:', (await getUser(1))?.name, '| queries:', queries);

await cache.invalidateTags(['org:7']); // everything tagged org:7, in every process
console.log('stats:', cache.stats());

await cache.clear(); // this namespace only (SCAN + UNLINK)
await cache.close();
redis.disconnect();
