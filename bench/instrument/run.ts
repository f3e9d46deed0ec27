/**
 * Overhead of `instrument(pool)` against the bare node-postgres pool, on a throwaway PostgreSQL 15
 * (test/support/postgres.ts), `SELECT $1::int` round trips by CONCURRENCY workers, 10 queries per request.
 *
 * Variants (each of them runs BENCH_QUERIES queries per arrangement):
 *
 *   bare          the pool as is
 *   default       instrument(pool) with its defaults (scope 'als'), each request in runInRequest: THE figure
 *   scope-none    instrument(pool, { scope: 'none' }): pool health only, runInRequest just runs
 *   app-als       no dbsage; the application scopes each request with its own AsyncLocalStorage.run
 *   external      app-als plus instrument(pool, { scope: appAls }): dbsage reuses the application's context
 *
 * Noise control (2 shared cores): short rounds (BENCH_ROUND_QUERIES), every variant once per round in an order
 * that rotates round by round, after warm-up rounds; instrumentation is installed just before a variant's turn
 * and removed after it, so its AsyncLocalStorage hook never runs during another variant's turn. Two
 * arrangements: one pool shared by every variant (same connections and backends), and one identically
 * configured pool per variant. Reported per variant: the per-round time ratio vs bare in the same round
 * (median and interquartile range over rounds: load spikes move single rounds, not the median) and the ratio of
 * total times; the same ratios of the Node process's own CPU time (PostgreSQL excluded), which other load
 * disturbs less than wall time; plus the 1/5/15-minute load averages (`uptime`) before and after each arrangement.
 *
 *   npm run bench:instrument   (BENCH_QUERIES=100000 BENCH_ROUND_QUERIES=500 BENCH_CONCURRENCY=8)
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type Instrumentation, instrument } from '../../packages/dbsage/src/instrument.js';
import { startPostgres } from '../../test/support/postgres.js';

const QUERIES = Number(process.env.BENCH_QUERIES ?? 100_000);
const ROUND_QUERIES = Number(process.env.BENCH_ROUND_QUERIES ?? 500);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const WARMUP_ROUNDS = 3;
const PER_REQUEST = 10;
const ROUNDS = Math.max(1, Math.round(QUERIES / ROUND_QUERIES));
type Scope = (fn: () => Promise<void>) => Promise<void>;

const VARIANTS = ['bare', 'default', 'scope-none', 'app-als', 'external'] as const;
type Variant = (typeof VARIANTS)[number];
const ARRANGEMENTS = ['same-pool', 'separate-pools'] as const;
type Arrangement = (typeof ARRANGEMENTS)[number];

/** Node-process CPU time (user + system) of each turn, ms, parallel to the wall times: see `cpu` in the output. */
let lastCpuMillis = 0;
const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** One round: `n` queries by CONCURRENCY workers, PER_REQUEST per request scope. Returns wall ms. */
async function round(pool: pg.Pool, n: number, scope: Scope): Promise<number> {
  let next = 0;
  const started = performance.now();
  const cpu0 = cpuNow();
  const worker = async () => {
    while (next < n) {
      const start = next;
      next += PER_REQUEST;
      await scope(async () => {
        for (let i = start; i < Math.min(start + PER_REQUEST, n); i++) await pool.query('SELECT $1::int AS v', [i]);
      });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  lastCpuMillis = cpuNow() - cpu0;
  return performance.now() - started;
}

const direct: Scope = (fn) => fn();
let nPlusOneReports = 0;

/** Runs one variant's turn on `pool`: installs its instrumentation, runs the round, removes it. */
async function turn(variant: Variant, pool: pg.Pool, n: number): Promise<number> {
  if (variant === 'bare') return round(pool, n, direct);
  if (variant === 'app-als' || variant === 'external') {
    const appAls = new AsyncLocalStorage<{ id: number }>();
    let id = 0;
    const inst =
      variant === 'external' ? instrument(pool, { scope: appAls, onNPlusOne: () => nPlusOneReports++ }) : null;
    try {
      return await round(pool, n, (fn) => appAls.run({ id: ++id }, () => (inst ? inst.runInRequest(fn) : fn())));
    } finally {
      inst?.restore();
      appAls.disable();
    }
  }
  const inst: Instrumentation = instrument(pool, {
    ...(variant === 'scope-none' ? { scope: 'none' as const } : {}),
    onNPlusOne: () => nPlusOneReports++,
  });
  try {
    return await round(pool, n, (fn) => inst.runInRequest(fn));
  } finally {
    inst.restore();
  }
}

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const r1 = (x: number): number => Math.round(x * 10) / 10;
const load = (): number[] => loadavg().map((x) => Math.round(x * 100) / 100);

interface VariantSummary {
  totalMillis: number;
  totalVsBarePct: number;
  perRoundVsBarePct: { median: number; q1: number; q3: number };
}

function summarize(times: Record<Variant, number[]>): Record<Variant, VariantSummary> {
  const total = (v: Variant) => times[v].reduce((a, b) => a + b, 0);
  const out = {} as Record<Variant, VariantSummary>;
  for (const v of VARIANTS) {
    const ratios = times[v].map((t, i) => (t / times.bare[i]! - 1) * 100).sort((a, b) => a - b);
    out[v] = {
      totalMillis: Math.round(total(v)),
      totalVsBarePct: r1((total(v) / total('bare') - 1) * 100),
      perRoundVsBarePct: { median: r1(pct(ratios, 0.5)), q1: r1(pct(ratios, 0.25)), q3: r1(pct(ratios, 0.75)) },
    };
  }
  return out;
}

async function main() {
  const server = await startPostgres();
  const config = { connectionString: server.adminUrl, max: CONCURRENCY };
  const shared = new pg.Pool(config);
  const own = Object.fromEntries(VARIANTS.map((v) => [v, new pg.Pool(config)])) as Record<Variant, pg.Pool>;
  const results: Record<string, unknown> = {};
  const allTimes: Record<Arrangement, Record<Variant, number[]>> = {} as never;
  const allCpu: Record<Arrangement, Record<Variant, number[]>> = {} as never;
  try {
    for (const arrangement of ARRANGEMENTS) {
      const poolOf = (v: Variant) => (arrangement === 'same-pool' ? shared : own[v]);
      const loadBefore = load();
      for (let w = 0; w < WARMUP_ROUNDS; w++) for (const v of VARIANTS) await turn(v, poolOf(v), ROUND_QUERIES);
      const times = Object.fromEntries(VARIANTS.map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
      const cpu = Object.fromEntries(VARIANTS.map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
      for (let r = 0; r < ROUNDS; r++) {
        for (let j = 0; j < VARIANTS.length; j++) {
          const v = VARIANTS[(r + j) % VARIANTS.length]!;
          times[v].push(await turn(v, poolOf(v), ROUND_QUERIES));
          cpu[v].push(lastCpuMillis);
        }
      }
      allTimes[arrangement] = times;
      allCpu[arrangement] = cpu;
      results[arrangement] = {
        loadBefore,
        loadAfter: load(),
        variants: summarize(times),
        // Node's own CPU per query (the PostgreSQL backends excluded): less disturbed by other processes' load
        nodeCpuVariants: summarize(cpu),
      };
    }
    // both arrangements together: the per-round ratios of every round
    const merged = Object.fromEntries(VARIANTS.map((v) => [v, ARRANGEMENTS.flatMap((a) => allTimes[a][v])])) as Record<
      Variant,
      number[]
    >;
    const combined = summarize(merged);
    const combinedCpu = summarize(
      Object.fromEntries(VARIANTS.map((v) => [v, ARRANGEMENTS.flatMap((a) => allCpu[a][v])])) as Record<
        Variant,
        number[]
      >,
    );
    const extOverApp = (a: Arrangement) => {
      const t = allTimes[a];
      const ratios = t.external.map((x, i) => (x / t['app-als'][i]! - 1) * 100).sort((x, y) => x - y);
      return { median: r1(pct(ratios, 0.5)), q1: r1(pct(ratios, 0.25)), q3: r1(pct(ratios, 0.75)) };
    };

    const head = [
      'variant',
      ...ARRANGEMENTS.map((a) => `${a}: per-round median [q1, q3]`),
      'both: median',
      'total-time',
    ];
    const fmt = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} %`;
    const rows = VARIANTS.filter((v) => v !== 'bare').map((v) => [
      v,
      ...ARRANGEMENTS.map((a) => {
        const s = (results[a] as { variants: Record<Variant, VariantSummary> }).variants[v].perRoundVsBarePct;
        return `${fmt(s.median)} [${fmt(s.q1)}, ${fmt(s.q3)}]`;
      }),
      fmt(combined[v].perRoundVsBarePct.median),
      fmt(combined[v].totalVsBarePct),
      fmt(combinedCpu[v].perRoundVsBarePct.median),
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cols: string[]) => cols.map((c, i) => c.padEnd(widths[i]!)).join('  ');
    console.log(`overhead vs bare pool, ${ROUNDS} rounds × ${ROUND_QUERIES} queries per variant and arrangement`);
    console.log(line(head));
    for (const r of rows) console.log(line(r));
    for (const a of ARRANGEMENTS) {
      const x = results[a] as { loadBefore: number[]; loadAfter: number[] };
      console.log(`${a}: load average ${x.loadBefore.join(' ')} → ${x.loadAfter.join(' ')}`);
    }
    const external = { 'same-pool': extOverApp('same-pool'), 'separate-pools': extOverApp('separate-pools') };
    console.log(
      `external scope on top of an app that already uses AsyncLocalStorage: ${fmt(external['same-pool'].median)} (same pool), ${fmt(external['separate-pools'].median)} (separate pools)`,
    );
    console.log(
      `instrument(pool), default mode: ${fmt(combined.default.perRoundVsBarePct.median)} vs the bare pool (median of per-round ratios, both arrangements; target < 5 %)`,
    );
    const out = {
      benchmark: 'instrument',
      date: new Date().toISOString(),
      node: process.version,
      server: 'PostgreSQL 15, throwaway (test/support/postgres.ts)',
      statement: 'SELECT $1::int AS v',
      queriesPerVariantPerArrangement: ROUNDS * ROUND_QUERIES,
      roundQueries: ROUND_QUERIES,
      rounds: ROUNDS,
      warmupRounds: WARMUP_ROUNDS,
      concurrency: CONCURRENCY,
      queriesPerRequestScope: PER_REQUEST,
      defaultModeVsBarePct: combined.default.perRoundVsBarePct.median,
      targetPercent: 5,
      combined,
      combinedNodeCpu: combinedCpu,
      externalOverAppAlsPct: external,
      ...results,
      nPlusOneReports,
      roundMillis: allTimes,
      roundNodeCpuMillis: allCpu,
    };
    const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'instrument.json');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
    console.log(`written ${file}`);
  } finally {
    await shared.end();
    await Promise.all(Object.values(own).map((p) => p.end()));
    await server.stop();
  }
}

await main();
