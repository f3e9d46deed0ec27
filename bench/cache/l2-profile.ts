/**
 * L2-hit hot path alone, for profiling: `node --cpu-prof --import tsx bench/cache/l2-profile.ts`.
 * Sequential GETs of one 1 KB entry: raw ioredis GET + JSON.parse, then dbsage `get` without L1, alternating
 * blocks; prints mean µs per op of each.
 */
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { createCache } from '../../packages/cache/src/index.js';
import { startRedisServer, stopAllRedis } from '../../test/support/redis.js';
import { makeValue } from './libs.js';

const server = await startRedisServer();
const raw = new Redis(server.port, '127.0.0.1');
const redis = new Redis(server.port, '127.0.0.1');
const cache = createCache({ namespace: 'prof', redis, l1: false, defaults: { earlyRefresh: false } });
await cache.ready();
const value = makeValue(1024);
await raw.set('raw', JSON.stringify(value));
await cache.set('k', value, { ttl: 600_000 });
const only = process.env.ONLY;
const totals = { raw: 0, dbsage: 0 };
const cpu = { raw: 0, dbsage: 0 };
const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const n = 2_000;
for (let round = 0; round < Number(process.env.ROUNDS ?? 40); round++) {
  if (only !== 'dbsage') {
    const t0 = performance.now();
    const c0 = cpuNow();
    for (let i = 0; i < n; i++) JSON.parse((await raw.get('raw'))!);
    if (round >= 5) totals.raw += performance.now() - t0;
    if (round >= 5) cpu.raw += cpuNow() - c0;
  }
  if (only !== 'raw') {
    const t0 = performance.now();
    const c0 = cpuNow();
    for (let i = 0; i < n; i++) await cache.get('k');
    if (round >= 5) totals.dbsage += performance.now() - t0;
    if (round >= 5) cpu.dbsage += cpuNow() - c0;
  }
}
const rounds = Number(process.env.ROUNDS ?? 40) - 5;
const us = (ms: number) => ((ms * 1000) / (rounds * n)).toFixed(2);
console.log(
  `CPU: raw ${us(cpu.raw)} µs/op  dbsage ${us(cpu.dbsage)} µs/op  (+${(((cpu.dbsage - cpu.raw) / cpu.raw) * 100).toFixed(1)} %)`,
);
console.log(
  `wall: raw ${us(totals.raw)} µs/op  dbsage ${us(totals.dbsage)} µs/op  (+${(((totals.dbsage - totals.raw) / totals.raw) * 100).toFixed(1)} %)`,
);
await cache.close();
redis.disconnect();
raw.disconnect();
await stopAllRedis();
