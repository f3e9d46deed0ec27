/**
 * L2-hit latency against raw ioredis `GET` + `JSON.parse`, the measurement behind the "L2-hit overhead"
 * figures of `npm run bench:cache`. Also runnable alone for development:
 * `node --import tsx bench/cache/l2-latency.ts [rounds]` (starts its own throwaway Redis).
 *
 * Method. Every contender gets its own connection opened the same way (`new Redis(port, '127.0.0.1')`,
 * default ioredis options: no auto-pipelining, no ioredis command timeout) to the same server; the caches
 * run with L1 disabled, so every `get` is a Redis round trip, and each reads one key holding the same value
 * (`raw` stores the bare JSON). After a warm-up, R rounds; in each round every contender runs one block of B
 * sequential, awaited reads, each timed on its own with `performance.now()`, in an order that rotates from
 * round to round. Per block: p50 and p99. Reported per contender:
 * - `perRound`: the median over rounds of the block p50 and block p99, and the overhead vs raw as the
 *   median over rounds of the paired ratio (block stat ÷ raw's block stat in the same round) − 1, with its
 *   interquartile range. Pairing within a round cancels drift in machine load and CPU clock; taking the
 *   median over rounds keeps a burst of load from other processes, which lands in one contender's block
 *   and not in the others', from deciding the figure. This is the acceptance figure. (The median of the
 *   ratios need not equal the ratio of the medians of the µs figures.)
 * - `pooled`: p50 and p99 over all samples of all rounds — what a single long run reports, and on a shared
 *   machine mostly a measure of that machine's other load at p99.
 * `raw-2` is a second raw connection running the raw code: its "overhead" is the noise floor of the method.
 * Nothing here makes one contender slower: same loop, same timing, same value, same number of samples.
 */
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { type BenchCache, makeValue, openCache } from './libs.js';

export interface L2Options {
  port: number;
  /** Namespace prefix for the caches' keys. */
  namespace: string;
  sizes?: number[];
  /** Rounds; default 60 for small values, 40 for large ones (whose reads take ~20× longer). */
  rounds?: number;
  /**
   * Block length per value size; default 500 (1 KB) and 200 (100 KB), so a block's p99 is its 5th or 2nd
   * largest sample, never its maximum alone.
   */
  block?: (size: number) => number;
  warmupRounds?: number;
  progress?: (message: string) => void;
  /**
   * More contenders (e.g. another build of the cache, for an A/B of a change): called once per size with the
   * value to store; returns named read functions and a cleanup.
   */
  extra?: (
    value: unknown,
    size: number,
  ) => Promise<{ contenders: [string, () => Promise<unknown>][]; close(): Promise<void> }>;
}

interface Stat {
  p50: number;
  p99: number;
}
interface Spread {
  median: number;
  q1: number;
  q3: number;
}

export interface L2SizeResult {
  rounds: number;
  blockSamples: number;
  samplesPerContender: number;
  /** µs, median over rounds of each block's p50 / p99. */
  perRoundMicros: Record<string, Stat>;
  /** %, median [q1, q3] over rounds of the paired per-round ratio vs raw, minus 1. */
  perRoundOverheadPct: Record<string, { p50: Spread; p99: Spread }>;
  /** µs, over all samples. */
  pooledMicros: Record<string, Stat>;
  /** %, pooled p50/p99 vs raw's pooled p50/p99. */
  pooledOverheadPct: Record<string, Stat>;
}

const round = (n: number, d = 1): number => Math.round(n * 10 ** d) / 10 ** d;
function pct(sorted: ArrayLike<number>, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}
function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  return {
    median: round((pct(s, 0.5) - 1) * 100),
    q1: round((pct(s, 0.25) - 1) * 100),
    q3: round((pct(s, 0.75) - 1) * 100),
  };
}

export const L2_CONTENDERS = ['raw', 'raw-2', 'dbsage', 'bentocache'] as const;

export async function measureL2Hit(o: L2Options): Promise<Record<string, L2SizeResult>> {
  const out: Record<string, L2SizeResult> = {};
  for (const size of o.sizes ?? [1024, 100 * 1024]) {
    const rounds = o.rounds ?? (size > 2048 ? 40 : 60);
    const block = o.block?.(size) ?? (size > 2048 ? 200 : 500);
    o.progress?.(`L2 hit ${size / 1024} KB: ${rounds} rounds × ${block} reads per contender`);
    const value = makeValue(size);
    const raw = new Redis(o.port, '127.0.0.1');
    const raw2 = new Redis(o.port, '127.0.0.1');
    const rawKey = `${o.namespace}-raw-${size}`;
    await raw.set(rawKey, JSON.stringify(value));
    const caches: BenchCache[] = [];
    const open = async (lib: 'dbsage' | 'bentocache'): Promise<BenchCache> => {
      const c = await openCache(lib, { port: o.port, namespace: `${o.namespace}-${lib}-${size}`, l1: false });
      caches.push(c);
      await c.set('k', value, 3_600_000);
      return c;
    };
    const ours = await open('dbsage');
    const bento = await open('bentocache');
    const contenders: [string, () => Promise<unknown>][] = [
      ['raw', async () => JSON.parse((await raw.get(rawKey))!)],
      ['raw-2', async () => JSON.parse((await raw2.get(rawKey))!)],
      ['dbsage', () => ours.get('k')],
      ['bentocache', () => bento.get('k')],
    ];
    const extra = await o.extra?.(value, size);
    contenders.push(...(extra?.contenders ?? []));
    for (const [name, f] of contenders) {
      if (JSON.stringify(await f()) !== JSON.stringify(value)) throw new Error(`${name} did not read the value back`);
    }
    const runBlock = async (f: () => Promise<unknown>, into: Float64Array): Promise<void> => {
      for (let i = 0; i < into.length; i++) {
        const t0 = performance.now();
        await f();
        into[i] = (performance.now() - t0) * 1000;
      }
    };
    const scratch = new Float64Array(block);
    for (let w = 0; w < (o.warmupRounds ?? (size > 2048 ? 3 : 10)); w++)
      for (const [, f] of contenders) await runBlock(f, scratch);
    const names = contenders.map(([n]) => n);
    const pooled: Record<string, Float64Array> = {};
    const blockStats: Record<string, Stat[]> = {};
    for (const n of names) {
      pooled[n] = new Float64Array(rounds * block);
      blockStats[n] = [];
    }
    for (let r = 0; r < rounds; r++) {
      for (let j = 0; j < contenders.length; j++) {
        const [name, f] = contenders[(r + j) % contenders.length]!;
        await runBlock(f, scratch);
        pooled[name]!.set(scratch, r * block);
        const sorted = Float64Array.from(scratch).sort();
        blockStats[name]!.push({ p50: pct(sorted, 0.5), p99: pct(sorted, 0.99) });
      }
    }
    const perRoundMicros: Record<string, Stat> = {};
    const perRoundOverheadPct: Record<string, { p50: Spread; p99: Spread }> = {};
    const pooledMicros: Record<string, Stat> = {};
    const pooledOverheadPct: Record<string, Stat> = {};
    const med = (xs: number[]): number =>
      pct(
        [...xs].sort((a, b) => a - b),
        0.5,
      );
    for (const n of names) {
      const bs = blockStats[n]!;
      perRoundMicros[n] = { p50: round(med(bs.map((b) => b.p50))), p99: round(med(bs.map((b) => b.p99))) };
      const all = pooled[n]!.sort();
      pooledMicros[n] = { p50: round(pct(all, 0.5)), p99: round(pct(all, 0.99)) };
    }
    const rawBlocks = blockStats.raw!;
    for (const n of names) {
      if (n === 'raw') continue;
      const bs = blockStats[n]!;
      perRoundOverheadPct[n] = {
        p50: spread(bs.map((b, r) => b.p50 / rawBlocks[r]!.p50)),
        p99: spread(bs.map((b, r) => b.p99 / rawBlocks[r]!.p99)),
      };
      pooledOverheadPct[n] = {
        p50: round((pooledMicros[n]!.p50 / pooledMicros.raw!.p50 - 1) * 100),
        p99: round((pooledMicros[n]!.p99 / pooledMicros.raw!.p99 - 1) * 100),
      };
    }
    out[`${size / 1024}KB`] = {
      rounds,
      blockSamples: block,
      samplesPerContender: rounds * block,
      perRoundMicros,
      perRoundOverheadPct,
      pooledMicros,
      pooledOverheadPct,
    };
    for (const c of caches) await c.close();
    await extra?.close();
    raw.disconnect();
    raw2.disconnect();
  }
  return out;
}

/** One line per contender and size, for the console. */
export function formatL2(results: Record<string, L2SizeResult>): string[] {
  const lines: string[] = [];
  const sp = (s: Spread): string => `${signed(s.median)} [${signed(s.q1)}, ${signed(s.q3)}]`;
  for (const [size, r] of Object.entries(results)) {
    for (const n of Object.keys(r.perRoundMicros)) {
      const m = r.perRoundMicros[n]!;
      const p = r.pooledMicros[n]!;
      const ov = r.perRoundOverheadPct[n];
      const pov = r.pooledOverheadPct[n];
      lines.push(
        `${size.padEnd(6)} ${n.padEnd(11)} per-round p50/p99 ${m.p50}/${m.p99} µs${ov ? `  overhead p50 ${sp(ov.p50)}  p99 ${sp(ov.p99)}` : ''}   pooled ${p.p50}/${p.p99} µs${pov ? ` (${signed(pov.p50)}/${signed(pov.p99)})` : ''}`,
      );
    }
  }
  return lines;
}

export function signed(n: number): string {
  return `${n >= 0 ? '+' : ''}${n}%`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { startRedisServer, stopAllRedis } = await import('../../test/support/redis.js');
  const { loadavg } = await import('node:os');
  const server = await startRedisServer();
  const load0 = loadavg().map((x) => round(x, 2));
  const results = await measureL2Hit({
    port: server.port,
    namespace: 'l2',
    rounds: process.argv[2] === undefined ? undefined : Number(process.argv[2]),
    sizes: process.env.SIZES?.split(',').map(Number),
    progress: (m) => process.stderr.write(`${m}\n`),
  });
  for (const line of formatL2(results)) console.log(line);
  console.log(
    `load average ${load0.join(' ')} → ${loadavg()
      .map((x) => round(x, 2))
      .join(' ')}`,
  );
  await stopAllRedis();
}
