/**
 * Overhead of `instrument(pool)` on 100 000 simple queries against the bare node-postgres pool, in the same run
 * on a throwaway PostgreSQL 15 (test/support/postgres.ts). One pool serves every variant (same connections and
 * backends: two separate pools differ by several percent on their own on a loaded machine), and the variants
 * rotate round by round so drift hits all of them:
 *
 *   bare          the pool as is
 *   stats-only    instrument(pool) without request scopes: pool health (acquire wait, counts, long checkouts)
 *   als-only      the bare pool inside AsyncLocalStorage.run scopes, no dbsage: what the scoping itself costs
 *   instrumented  instrument(pool) with runInRequest scopes (10 queries per request), N+1 rule at request end
 *
 *   npm run bench:instrument     (BENCH_QUERIES=100000 BENCH_CONCURRENCY=8 BENCH_ROUNDS=20)
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { instrument } from '../../packages/dbsage/src/instrument.js';
import { startPostgres } from '../../test/support/postgres.js';

const QUERIES = Number(process.env.BENCH_QUERIES ?? 100_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const PER_REQUEST = 10;
const perRound = Math.floor(QUERIES / ROUNDS);
type Scope = (fn: () => Promise<void>) => Promise<void>;

/** One round: `n` queries by `CONCURRENCY` workers, in groups of PER_REQUEST (one request's worth). */
async function round(pool: pg.Pool, n: number, scope: Scope): Promise<number> {
  let next = 0;
  const started = performance.now();
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
  return performance.now() - started;
}

const VARIANTS = ['bare', 'stats-only', 'als-only', 'instrumented'] as const;
type Variant = (typeof VARIANTS)[number];

async function main() {
  const server = await startPostgres();
  const pool = new pg.Pool({ connectionString: server.adminUrl, max: CONCURRENCY });
  const direct: Scope = (fn) => fn();
  let nPlusOneReports = 0;
  let lastStats: ReturnType<ReturnType<typeof instrument>['stats']> | null = null;
  const run = async (variant: Variant, n: number): Promise<number> => {
    if (variant === 'bare') return round(pool, n, direct);
    if (variant === 'als-only') {
      const als = new AsyncLocalStorage<object>();
      try {
        return await round(pool, n, (fn) => als.run({}, fn));
      } finally {
        als.disable();
      }
    }
    const inst = instrument(pool, { onNPlusOne: () => nPlusOneReports++ });
    try {
      return await round(pool, n, variant === 'stats-only' ? direct : (fn) => inst.runInRequest(fn));
    } finally {
      lastStats = inst.stats();
      inst.restore();
    }
  };
  try {
    for (const v of VARIANTS) await run(v, 2000); // warm-up: connections, JIT
    const times: Record<Variant, number[]> = { bare: [], 'stats-only': [], 'als-only': [], instrumented: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
      for (const v of order) times[v].push(await run(v, perRound));
    }
    const total = (v: Variant) => times[v].reduce((a, b) => a + b, 0);
    const queries = perRound * ROUNDS;
    const overhead = (v: Variant, base: Variant = 'bare') => ((total(v) - total(base)) / total(base)) * 100;
    console.log(
      ['variant', 'queries', 'total ms', 'queries/s', 'µs/query', 'vs bare']
        .map((c, i) => (i === 0 ? c.padEnd(14) : c.padStart(10)))
        .join(' '),
    );
    for (const v of VARIANTS) {
      const t = total(v);
      console.log(
        [
          v.padEnd(14),
          String(queries),
          t.toFixed(0),
          (queries / (t / 1000)).toFixed(0),
          ((t * 1000) / queries).toFixed(1),
          v === 'bare' ? '' : `${overhead(v) >= 0 ? '+' : ''}${overhead(v).toFixed(1)} %`,
        ]
          .map((c, i) => (i === 0 ? c : c.padStart(10)))
          .join(' '),
      );
    }
    const result = {
      instrumentedVsBarePercent: overhead('instrumented'),
      statsOnlyVsBarePercent: overhead('stats-only'),
      alsOnlyVsBarePercent: overhead('als-only'),
      instrumentedVsAlsOnlyPercent: overhead('instrumented', 'als-only'),
    };
    console.log(
      `instrument(pool) with request scopes: ${result.instrumentedVsBarePercent.toFixed(1)} % vs the bare pool, of which AsyncLocalStorage alone is ${result.alsOnlyVsBarePercent.toFixed(1)} %; ` +
        `${result.instrumentedVsAlsOnlyPercent.toFixed(1)} % on top of an application that already scopes requests with AsyncLocalStorage; pool health only: ${result.statsOnlyVsBarePercent.toFixed(1)} % (target < 5 %)`,
    );
    const out = {
      benchmark: 'instrument',
      date: new Date().toISOString(),
      node: process.version,
      server: 'PostgreSQL 15, throwaway (test/support/postgres.ts)',
      statement: 'SELECT $1::int AS v',
      queries,
      concurrency: CONCURRENCY,
      rounds: ROUNDS,
      queriesPerRequestScope: PER_REQUEST,
      totalsMillis: Object.fromEntries(VARIANTS.map((v) => [v, total(v)])),
      roundMillis: times,
      ...result,
      targetPercent: 5,
      nPlusOneReports,
      lastInstrumentedStats: lastStats,
    };
    const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'instrument.json');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
    console.log(`written ${file}`);
  } finally {
    await pool.end();
    await server.stop();
  }
}

await main();
