/**
 * Child process for the "lease holder killed" fault test: takes the lease for a key by starting a load
 * that never finishes, prints LOADING, and waits to be killed with SIGKILL.
 */
import { createCache } from '../../src/index.js';

const url = process.env.REDIS_URL ?? '';
const namespace = process.env.CACHE_NAMESPACE ?? '';
const key = process.env.CACHE_KEY ?? '';
if (!url.startsWith('redis://127.0.0.1:') || namespace === '' || key === '') process.exit(2);

const cache = createCache({ namespace, redis: { url }, lease: { ttl: 600 } });
await cache.ready();
void cache.getOrSet(key, () => {
  process.stdout.write('LOADING\n');
  return new Promise<string>(() => {
    // never resolves: the process is killed while holding the lease
  });
});
setInterval(() => {}, 1000);
