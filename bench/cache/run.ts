/**
 * `npm run bench:cache`: @dbsage/cache against bentocache and cache-manager, in one run, on one throwaway
 * Redis started here (never the machine's Redis, never a server we did not start). Prints a table and writes
 * bench/results/cache.json.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Redis } from 'ioredis';
import { createCache } from '../../packages/cache/src/index.js';
import { startRedisServer, stopAllRedis } from '../../test/support/redis.js';
import { measureL2Hit, signed } from './l2-latency.js';
import { type BenchCache, type LibName, makeValue, openCache, sleep } from './libs.js';

const LIBS: LibName[] = ['dbsage', 'bentocache', 'cache-manager'];
const progress = (m: string): void => {
  process.stderr.write(`bench:cache ${m}\n`);
};
const results: Record<string, unknown> = {};
// the benchmark stops by itself: a stuck section fails the run instead of hanging it
const watchdog = setTimeout(() => {
  progress('timed out after 10 minutes');
  void stopAllRedis().finally(() => process.exit(1));
}, 10 * 60_000);
watchdog.unref();
const loadAtStart = loadavg().map((n) => Math.round(n * 100) / 100);
const server = await startRedisServer();
const port = server.port;
const admin = new Redis(port, '127.0.0.1');
let nsCounter = 0;
const ns = (label: string): string => `bench${++nsCounter}-${label}`;
const now = (): number => performance.timeOrigin + performance.now();

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}
function summary(samples: number[]): { p50: number; p99: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: round(pct(s, 0.5)), p99: round(pct(s, 0.99)) };
}
const round = (n: number, d = 1): number => Math.round(n * 10 ** d) / 10 ** d;

async function withCache<T>(lib: LibName, l1: boolean, label: string, fn: (c: BenchCache) => Promise<T>): Promise<T> {
  const c = await openCache(lib, { port, namespace: ns(label), l1 });
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

// ── 1. L1-hit throughput ──────────────────────────────────────────────
{
  progress('1. L1-hit throughput');
  const value = makeValue(1024);
  const out: Record<string, number> = {};
  for (const lib of LIBS) {
    out[lib] = await withCache(lib, true, 'l1', async (c) => {
      await c.set('k', value, 60_000);
      for (let i = 0; i < 5_000; i++) await c.get('k'); // warm up (and fill L1 from L2)
      const n = lib === 'dbsage' ? 500_000 : 50_000;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await c.get('k');
      return Math.round(n / ((performance.now() - t0) / 1000));
    });
  }
  results.l1HitOpsPerSec = { valueBytes: 1024, ...out, ratioVsBentocache: round(out.dbsage! / out.bentocache!, 1) };
}

// ── 2. L2-hit latency vs raw ioredis GET + JSON.parse ─────────────────
// Interleaved rounds of blocks on identical connections; per-block p50/p99, paired per round with raw and
// summarized by the median over rounds (see l2-latency.ts for the method and why); pooled figures kept too.
progress('2. L2-hit latency vs raw ioredis GET + JSON.parse');
results.l2Hit = await measureL2Hit({
  port,
  namespace: ns('l2'),
  rounds: process.env.BENCH_L2_ROUNDS === undefined ? undefined : Number(process.env.BENCH_L2_ROUNDS),
  progress: (m) => progress(`   ${m}`),
});

// ── 3. Miss path: getOrSet on a cold key with an instant loader ───────
{
  progress('3. Miss path: getOrSet on a cold key with an instant loader');
  const value = makeValue(1024);
  const out: Record<string, unknown> = {};
  const raw = new Redis(port, '127.0.0.1');
  const rawSamples: number[] = [];
  for (let i = 0; i < 1_000; i++) {
    const t0 = performance.now();
    const k = `rawmiss-${i}`;
    if ((await raw.get(k)) === null) await raw.set(k, JSON.stringify(value), 'PX', 60_000);
    rawSamples.push((performance.now() - t0) * 1000);
  }
  raw.disconnect();
  out.rawGetThenSetMicros = summary(rawSamples.slice(100));
  for (const lib of LIBS) {
    out[`${lib}Micros`] = await withCache(lib, true, 'miss', async (c) => {
      const samples: number[] = [];
      for (let i = 0; i < 1_000; i++) {
        const t0 = performance.now();
        await c.getOrSet(`miss-${i}`, async () => value, 60_000);
        samples.push((performance.now() - t0) * 1000);
      }
      return summary(samples.slice(100));
    });
  }
  results.missPath = out;
}

// ── 4. Stampede: 4 processes × 1,000 concurrent getOrSet on one cold key ─
const childPath = fileURLToPath(new URL('./child.ts', import.meta.url));
function spawnChild(lib: LibName, namespace: string, mode: string): Promise<ChildProcess> {
  const child = fork(childPath, [lib, String(port), namespace, mode], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { type: string }) =>
      m.type === 'ready' ? resolve(child) : reject(new Error(String(m))),
    );
    child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
  });
}
function next<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { type: string }): void => {
      if (m.type === type) {
        child.off('message', on);
        resolve(m as T);
      }
    };
    child.on('message', on);
  });
}
async function stopChild(child: ChildProcess): Promise<void> {
  child.send({ type: 'exit' });
  await new Promise<void>((r) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      r();
    }, 3_000);
    child.once('exit', () => {
      clearTimeout(t);
      r();
    });
  });
}
// Fairness: every process must start its callers at the same instant, and the loader must outlast any skew,
// or a late process simply finds the value already written and the count says nothing about stampede
// protection. The parent hands out one shared wall-clock start time (same host, same clock) once all four
// children are connected and idle; each child sleeps until a few ms before it and spins the rest. The loader
// takes STAMPEDE_LOADER_MILLIS, far longer than the measured start skew (reported).
const STAMPEDE_LOADER_MILLIS = 300;
{
  progress('4. Stampede: 4 processes x 1,000 concurrent getOrSet on one cold key');
  const out: Record<string, unknown> = {};
  for (const lib of LIBS) {
    const namespace = ns('stampede');
    const children = await Promise.all([0, 1, 2, 3].map(() => spawnChild(lib, namespace, 'stampede')));
    const done = children.map((c) =>
      next<{ loaderCalls: number; failures: number; startedAt: number; firstLoaderAt: number | null }>(c, 'done'),
    );
    const at = Date.now() + 500;
    for (const c of children)
      c.send({ type: 'go', key: 'cold', concurrency: 1_000, at, loaderMillis: STAMPEDE_LOADER_MILLIS });
    const reports = await Promise.all(done);
    const starts = reports.map((r) => r.startedAt);
    out[lib] = {
      loaderCalls: reports.reduce((n, r) => n + r.loaderCalls, 0),
      failures: reports.reduce((n, r) => n + r.failures, 0),
      processesThatLoaded: reports.filter((r) => r.loaderCalls > 0).length,
      startSkewMillis: round(Math.max(...starts) - Math.min(...starts), 2),
      loaderMillis: STAMPEDE_LOADER_MILLIS,
    };
    await Promise.all(children.map(stopChild));
  }
  results.stampede4x1000 = out;
}

// ── 5. Invalidation propagation between two processes ─────────────────
{
  progress('5. Invalidation propagation between two processes');
  const out: Record<string, unknown> = {};
  for (const lib of ['dbsage', 'bentocache'] as LibName[]) {
    const namespace = ns('prop');
    const child = await spawnChild(lib, namespace, 'watch');
    const writer = await openCache(lib, { port, namespace, l1: true });
    const samples: number[] = [];
    await writer.set('k', 0, 600_000);
    for (let i = 1; i <= 200; i++) {
      child.send({ type: 'prime', key: 'k' });
      await next(child, 'primed');
      const seen = next<{ at: number }>(child, 'seen');
      child.send({ type: 'watch', key: 'k', expect: i });
      await next(child, 'watching');
      await sleep(1);
      const t0 = now();
      await writer.set('k', i, 600_000);
      samples.push(((await seen).at - t0) * 1000);
    }
    out[`${lib}Micros`] = summary(samples.slice(20));
    await writer.close();
    await stopChild(child);
  }
  results.invalidationPropagation = out;
}

// ── 6. Stale reads after the subscriber reconnects ────────────────────
{
  progress('6. Stale reads after the subscriber reconnects');
  const out: Record<string, unknown> = {};
  for (const lib of ['dbsage', 'bentocache'] as LibName[]) {
    const namespace = ns('reconnect');
    const writer = await openCache(lib, { port, namespace, l1: true });
    const reader = await openCache(lib, { port, namespace, l1: true });
    let staleReads = 0;
    let reads = 0;
    for (let round = 1; round <= 10; round++) {
      await writer.set('k', `v${round}-a`, 600_000);
      await sleep(20);
      for (let i = 0; i < 3; i++) await reader.get('k'); // in the reader's L1 now
      await admin.client('KILL', 'TYPE', 'pubsub'); // every subscriber loses its connection; messages now are lost
      await writer.set('k', `v${round}-b`, 600_000);
      const until = Date.now() + 150;
      while (Date.now() < until) {
        reads++;
        if ((await reader.get('k')) === `v${round}-a`) staleReads++;
        await sleep(2);
      }
      await sleep(100);
    }
    out[lib] = { reads, staleReads };
    await writer.close();
    await reader.close();
  }
  results.staleReadsAfterReconnect = out;
}

// ── 7. Stale sets: invalidation during a slow load ────────────────────
{
  progress('7. Stale sets: invalidation during a slow load');
  const out: Record<string, unknown> = {};
  for (const lib of LIBS) {
    const namespace = ns('staleset');
    const a = await openCache(lib, { port, namespace, l1: true });
    const check = await openCache(lib, { port, namespace, l1: false });
    let staleSets = 0;
    const rounds = 20;
    for (let r = 0; r < rounds; r++) {
      let db = `old${r}`;
      const key = `row${r}`;
      const loading = a.getOrSet(
        key,
        async () => {
          const v = db;
          await sleep(40);
          return v;
        },
        600_000,
      );
      await sleep(10);
      db = `new${r}`;
      await a.delete(key);
      await loading;
      await sleep(10);
      if ((await check.get(key)) === `old${r}`) staleSets++;
    }
    out[lib] = { rounds, staleSets };
    await a.close();
    await check.close();
  }
  results.staleSets = out;
}

// ── 8. Memory per L1 entry (1 KB value, materialized) ─────────────────
{
  progress('8. Memory per L1 entry (1 KB value, materialized)');
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const redis = new Redis(port, '127.0.0.1');
  const cache = createCache({ namespace: ns('mem'), redis, l1: { maxEntries: 50_000, maxBytes: 1024 ** 3 } });
  await cache.ready();
  const n = 10_000;
  for (let i = 0; i < n; i++) await cache.set(`k${i}`, makeValue(1024), { ttl: 600_000 });
  const settle = async (): Promise<number> => {
    for (let i = 0; i < 3; i++) {
      gc();
      await sleep(20);
    }
    return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  };
  await cache.clear();
  const before = await settle();
  for (let i = 0; i < n; i++) await cache.set(`k${i}`, makeValue(1024), { ttl: 600_000 });
  const bytesOnly = await settle();
  for (let i = 0; i < n; i++) await cache.get(`k${i}`);
  const materialized = await settle();
  results.memoryPerL1Entry = {
    valueJsonBytes: JSON.stringify(makeValue(1024)).length,
    entries: cache.stats().l1Entries,
    bytesHeldOnlyBytes: Math.round((bytesOnly - before) / n),
    afterFirstHitBytes: Math.round((materialized - before) / n),
    accountedBytesPerEntry: Math.round(cache.stats().l1Bytes / Math.max(1, cache.stats().l1Entries)),
  };
  await cache.close();
  redis.disconnect();
}

// ── report ────────────────────────────────────────────────────────────
admin.disconnect();
await stopAllRedis();
const meta = {
  node: process.version,
  redis: '7.0 (throwaway, 127.0.0.1)',
  cpus: (await import('node:os')).cpus().length,
  date: new Date().toISOString(),
  // 1/5/15-minute load averages (`uptime`) on a 2-core machine shared with other work: read the latencies with them
  loadAverageAtStart: loadAtStart,
  loadAverageAtEnd: loadavg().map((n) => round(n, 2)),
};
writeFileSync(new URL('../results/cache.json', import.meta.url), `${JSON.stringify({ meta, ...results }, null, 2)}\n`);
// biome-ignore lint/suspicious/noExplicitAny: the report reads back the nested result objects built above
const r = results as Record<string, Record<string, any>>;
const l2k = (s: string) => r.l2Hit![s];
const rows: [string, string, string, string][] = [
  [
    'L1 hit ops/s (1 KB)',
    fmt(r.l1HitOpsPerSec!.dbsage),
    fmt(r.l1HitOpsPerSec!.bentocache),
    fmt(r.l1HitOpsPerSec!['cache-manager']),
  ],
  ...(['1KB', '100KB'] as const).map((s): [string, string, string, string] => {
    const x = l2k(s);
    const ov = (lib: string, p: 'p50' | 'p99'): string => signed(x.perRoundOverheadPct[lib][p].median);
    const cell = (lib: string): string =>
      `${x.perRoundMicros[lib].p50}/${x.perRoundMicros[lib].p99} (${ov(lib, 'p50')}/${ov(lib, 'p99')})`;
    return [
      `L2 hit p50/p99 µs, median of ${x.rounds} rounds (${s}; raw GET+parse ${x.perRoundMicros.raw.p50}/${x.perRoundMicros.raw.p99}, raw vs raw ${ov('raw-2', 'p50')}/${ov('raw-2', 'p99')})`,
      cell('dbsage'),
      cell('bentocache'),
      '-',
    ];
  }),
  ...(['1KB', '100KB'] as const).map((s): [string, string, string, string] => {
    const x = l2k(s);
    const cell = (lib: string): string =>
      `${x.pooledMicros[lib].p50}/${x.pooledMicros[lib].p99} (${signed(x.pooledOverheadPct[lib].p50)}/${signed(x.pooledOverheadPct[lib].p99)})`;
    return [
      `L2 hit p50/p99 µs, all ${x.samplesPerContender} samples pooled (${s}; raw ${x.pooledMicros.raw.p50}/${x.pooledMicros.raw.p99}, raw vs raw ${signed(x.pooledOverheadPct['raw-2'].p50)}/${signed(x.pooledOverheadPct['raw-2'].p99)})`,
      cell('dbsage'),
      cell('bentocache'),
      '-',
    ];
  }),
  [
    `Miss path p50/p99 µs (raw GET+SET ${r.missPath!.rawGetThenSetMicros.p50}/${r.missPath!.rawGetThenSetMicros.p99})`,
    pp(r.missPath!.dbsageMicros),
    pp(r.missPath!.bentocacheMicros),
    pp(r.missPath!['cache-managerMicros']),
  ],
  [
    'Stampede 4×1000: loader calls (start skew ms)',
    ...LIBS.map((l) => `${r.stampede4x1000![l].loaderCalls} (${r.stampede4x1000![l].startSkewMillis})`),
  ] as [string, string, string, string],
  [
    'Invalidation propagation p50/p99 µs',
    pp(r.invalidationPropagation!.dbsageMicros),
    pp(r.invalidationPropagation!.bentocacheMicros),
    '-',
  ],
  [
    'Stale reads after bus reconnect',
    `${r.staleReadsAfterReconnect!.dbsage.staleReads}/${r.staleReadsAfterReconnect!.dbsage.reads}`,
    `${r.staleReadsAfterReconnect!.bentocache.staleReads}/${r.staleReadsAfterReconnect!.bentocache.reads}`,
    '-',
  ],
  [
    'Stale sets (invalidate during load)',
    ...LIBS.map((l) => `${r.staleSets![l].staleSets}/${r.staleSets![l].rounds}`),
  ] as [string, string, string, string],
  [
    'Memory per L1 entry, bytes (held / after hit)',
    `${r.memoryPerL1Entry!.bytesHeldOnlyBytes} / ${r.memoryPerL1Entry!.afterFirstHitBytes}`,
    '-',
    '-',
  ],
];
const header: [string, string, string, string] = ['metric', 'dbsage', 'bentocache', 'cache-manager'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
const line = (cols: string[]): string => `| ${cols.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows) console.log(line(row));
console.log(
  `\nL1-hit ratio vs bentocache: ${r.l1HitOpsPerSec!.ratioVsBentocache}×   load average ${meta.loadAverageAtStart.join(' ')} → ${meta.loadAverageAtEnd.join(' ')}   JSON: bench/results/cache.json`,
);

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
function pp(s: { p50: number; p99: number }): string {
  return `${s.p50}/${s.p99}`;
}
