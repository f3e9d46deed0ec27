/**
 * CPU cost of the L2-hit path without the network (development aid): both contenders run on an ioredis
 * client whose `sendCommand` answers at once with the stored bytes, so only the client-side work is timed —
 * raw `GET` + `JSON.parse` vs `cache.get` with L1 disabled. Interleaved rounds; prints CPU ns/op and heap bytes/op.
 * Run: `node --expose-gc --import tsx bench/cache/l2-cpu.ts` (SIZE=bytes, ROUNDS=n).
 */
import { type Command, Redis } from 'ioredis';
import { encodeEnvelope } from '../../packages/cache/src/envelope.js';
import { createCache } from '../../packages/cache/src/index.js';
import { defaultSerializer } from '../../packages/cache/src/serializer.js';
import { makeValue } from './libs.js';

const gc = (globalThis as { gc?: () => void }).gc;
const size = Number(process.env.SIZE ?? 1024);
const value = makeValue(size);
const json = Buffer.from(JSON.stringify(value));
const now = Date.now();
const envelope = encodeEnvelope(
  {
    freshUntil: now + 3_600_000,
    staleUntil: now + 3_600_000,
    loadMillis: 0,
    tagEpoch: 0,
    tags: [],
    softInvalidated: false,
  },
  defaultSerializer.encode(value),
);
/** A client that never connects: every command is answered at once with a copy of `reply` inside a larger chunk. */
function fakeClient(reply: Buffer): Redis {
  const client = new Redis({ lazyConnect: true, enableOfflineQueue: false });
  const chunk = Buffer.alloc(reply.length + 64);
  reply.copy(chunk, 16);
  // biome-ignore lint/suspicious/noExplicitAny: test double
  (client as any).sendCommand = (command: Command) => {
    (command as unknown as { resolve(v: unknown): void }).resolve(chunk.subarray(16, 16 + reply.length));
    return command.promise;
  };
  return client;
}
const raw = fakeClient(json);
const cache = createCache({ namespace: 'cpu', redis: fakeClient(envelope), l1: false, bus: false });
const contenders: [string, () => Promise<unknown>][] = [
  ['raw', async () => JSON.parse((await raw.get('raw'))!)],
  ['dbsage', () => cache.get('k')],
];
if (JSON.stringify(await contenders[1]![1]()) !== JSON.stringify(value))
  throw new Error('dbsage returned something else');
const n = size > 2048 ? 200 : 5_000;
const rounds = Number(process.env.ROUNDS ?? 40);
const acc: Record<string, { t: number; n: number; heap: number; heapN: number }> = {};
for (const [name] of contenders) acc[name] = { t: 0, n: 0, heap: 0, heapN: 0 };
for (let r = 0; r < rounds; r++) {
  for (const [name, f] of r % 2 ? contenders : [...contenders].reverse()) {
    gc?.();
    const h0 = process.memoryUsage().heapUsed;
    for (let i = 0; i < 20; i++) await f();
    const h1 = process.memoryUsage().heapUsed;
    // CPU time of the process (this loop is all it does): unlike wall time, not inflated while descheduled
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) await f();
    const c = process.cpuUsage(c0);
    if (r < 5) continue;
    const a = acc[name]!;
    a.t += (c.user + c.system) / 1000;
    a.n += n;
    a.heap += h1 - h0;
    a.heapN += 20;
  }
}
const base = acc.raw!.t / acc.raw!.n;
for (const [name, a] of Object.entries(acc)) {
  const per = a.t / a.n;
  console.log(
    `${name.padEnd(7)} ${(per * 1e6).toFixed(0).padStart(7)} ns/op  (+${((per - base) * 1e6).toFixed(0)} ns)   heap ${gc ? Math.round(a.heap / a.heapN) : '?'} B/op`,
  );
}
await cache.close();
