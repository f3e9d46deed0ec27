/**
 * Overhead of `instrument(pool)` against the bare node-postgres pool, on a throwaway PostgreSQL 15
 * (test/support/postgres.ts): `SELECT $1::int` round trips by CONCURRENCY workers, PER_REQUEST queries per request.
 *
 * Variants, each in its OWN child process, instrumented once for the process's life as an application would be:
 *
 *   bare          the pool as is
 *   bare-b        a second bare process: the A/A noise floor of the method
 *   default       instrument(pool) with its defaults, each request in runInRequest: THE figure
 *   als           instrument(pool, { scope: 'als' }): dbsage's own AsyncLocalStorage per request
 *   scope-none    instrument(pool, { scope: 'none' }): pool health only, runInRequest just runs
 *   app-als       no dbsage; the application scopes each request with its own AsyncLocalStorage.run
 *   external      app-als plus instrument(pool, { scope: appAls }): dbsage reuses the application's context
 *   paired        ONE process with two identical pools, one bare, one instrumented with the defaults for the process's
 *                 life; their turns back to back (order alternating): no process-to-process offset; valid for the
 *                 default because it enables no async hook (see below)
 *
 * Why one process per variant: once an AsyncLocalStorage (any async hook) has been enabled in a Node 20 process,
 * promise-heavy code stays slower after it is disabled again (measured ≈ +17 % on a plain await loop), so a
 * bare turn that follows an instrumented turn in the same process is not bare: the baseline was inflated.
 *
 * Noise control (2 shared cores): the parent drives short rounds (BENCH_ROUND_QUERIES), one child at a time, every
 * variant once per round in an order that rotates round by round, after warm-up rounds. Reported per variant: the
 * median (and interquartile range) over rounds of the per-round ratio vs bare in the same round, for wall time and
 * for the child's own CPU time (user + system; PostgreSQL excluded), plus client CPU µs per query, the ratio of
 * totals, and the 1/5/15-minute load averages (`uptime`) before and after.
 *
 * Why also `paired`: two identical bare processes differ by several percent (which CPU and which PostgreSQL backends
 * they share, heap layout), more than the effect measured; `bare-b` shows that spread. The paired child removes it
 * for the default mode, whose turns can share a process with bare turns because it enables no async hook
 * (Node < 24: the 'continuation' scope; Node ≥ 24: AsyncLocalStorage on V8 continuation data). The hook-enabling
 * variants (als, app-als, external) are only compared across processes.
 *
 *   npm run bench:instrument   (BENCH_QUERIES=100000 BENCH_ROUND_QUERIES=250 BENCH_CONCURRENCY=8 BENCH_PER_REQUEST=10)
 *   BENCH_VARIANTS=bare,default,bare-b npm run bench:instrument   (a subset; bare is always included)
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const QUERIES = Number(process.env.BENCH_QUERIES ?? 100_000);
const ROUND_QUERIES = Number(process.env.BENCH_ROUND_QUERIES ?? 250);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const PER_REQUEST = Number(process.env.BENCH_PER_REQUEST ?? 10);
const WARMUP_ROUNDS = Number(process.env.BENCH_WARMUP_ROUNDS ?? 20);
const ROUNDS = Math.max(1, Math.round(QUERIES / ROUND_QUERIES));
const ALL_VARIANTS = ['bare', 'bare-b', 'default', 'als', 'scope-none', 'app-als', 'external', 'paired'] as const;
type Variant = (typeof ALL_VARIANTS)[number];
const VARIANTS: Variant[] = (() => {
  const wanted = process.env.BENCH_VARIANTS?.split(',').map((s) => s.trim()) ?? [...ALL_VARIANTS];
  for (const v of wanted) if (!(ALL_VARIANTS as readonly string[]).includes(v)) throw new Error(`unknown variant ${v}`);
  return ['bare', ...(wanted.filter((v) => v !== 'bare') as Variant[])];
})();
const SELF = fileURLToPath(import.meta.url);
/** Development aid: BENCH_PAIRED_SCOPE=none measures the paired child with another hook-free scope. */
const PAIRED_OPTIONS = process.env.BENCH_PAIRED_SCOPE ? { scope: process.env.BENCH_PAIRED_SCOPE as 'none' } : {};
/** The variants compared across processes (the paired child reports bare and default turns of its own). */
const SEPARATE = VARIANTS.filter((v) => v !== 'paired');

type Scope = (fn: () => Promise<void>) => Promise<void>;
interface RoundResult {
  wallMillis: number;
  cpuMillis: number;
  /** The kernel's share of cpuMillis (system time: socket writes on loopback run PostgreSQL's receive path too). */
  sysMillis: number;
}

// ------------------------------------------------------------------------------------------------------- child
/** One round: `n` queries by CONCURRENCY workers, PER_REQUEST per request scope. */
async function round(pool: pg.Pool, n: number, scope: Scope): Promise<RoundResult> {
  let next = 0;
  const u0 = process.cpuUsage();
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
  const wallMillis = performance.now() - started;
  const u = process.cpuUsage(u0);
  return { wallMillis, cpuMillis: (u.user + u.system) / 1000, sysMillis: u.system / 1000 };
}

async function child(variant: Variant, url: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: CONCURRENCY });
  let nPlusOneReports = 0;
  let requestReports = 0;
  let attributedQueries = 0;
  let totalQueries = 0;
  let scope: Scope = (fn) => fn();
  let restore = (): void => undefined;
  let paired: ((n: number, round: number) => Promise<{ bare: RoundResult; inst: RoundResult }>) | undefined;
  if (variant !== 'bare' && variant !== 'bare-b') {
    // imported only here: the bare processes do not even load dbsage
    const { instrument } = await import('../../packages/dbsage/src/instrument.js');
    const callbacks = {
      onNPlusOne: () => nPlusOneReports++,
      onRequestEnd: (r: { queries: number }) => {
        requestReports++;
        attributedQueries += r.queries;
      },
    };
    if (variant === 'paired') {
      // bare and default turns in this one process, adjacent, order alternating: valid because the default scope
      // enables no async hook (Node < 24: 'continuation'; Node ≥ 24: AsyncLocalStorage on continuation data)
      // Two identically configured pools, the second instrumented for the process's life (instrumenting anew per
      // turn would run dbsage's fresh wrappers unoptimised every turn).
      const instrumentedPool = new pg.Pool({ connectionString: url, max: CONCURRENCY });
      const inst = instrument(instrumentedPool, { ...callbacks, ...PAIRED_OPTIONS });
      const instScope: Scope = (fn) => inst.runInRequest(fn);
      restore = () => {
        inst.restore();
        void instrumentedPool.end();
      };
      paired = async (n, r) => {
        const out = {} as { bare: RoundResult; inst: RoundResult };
        for (const which of r % 2 === 0 ? (['bare', 'inst'] as const) : (['inst', 'bare'] as const)) {
          if (which === 'bare') out.bare = await round(pool, n, (fn) => fn());
          else out.inst = await round(instrumentedPool, n, instScope);
        }
        return out;
      };
    } else if (variant === 'app-als' || variant === 'external') {
      const appAls = new AsyncLocalStorage<{ id: number }>();
      let id = 0;
      const inst = variant === 'external' ? instrument(pool, { scope: appAls, ...callbacks }) : null;
      scope = inst
        ? (fn) => appAls.run({ id: ++id }, () => inst.runInRequest(fn))
        : (fn) => appAls.run({ id: ++id }, fn);
      if (inst) restore = () => inst.restore();
    } else {
      const inst = instrument(pool, {
        ...(variant === 'scope-none' ? { scope: 'none' as const } : variant === 'als' ? { scope: 'als' as const } : {}),
        ...callbacks,
      });
      scope = (fn) => inst.runInRequest(fn);
      restore = () => inst.restore();
    }
  }
  process.on('message', (msg: { n?: number; round?: number; stop?: boolean }) => {
    if (msg.stop) {
      restore();
      void pool.end().then(() => {
        process.send!({ done: true, nPlusOneReports, requestReports, attributedQueries, totalQueries }, () =>
          process.exit(0),
        );
      });
      return;
    }
    totalQueries += msg.n!;
    if (paired) {
      void paired(msg.n!, msg.round ?? 0).then((r) => process.send!(r));
      return;
    }
    void round(pool, msg.n!, scope).then((r) => process.send!(r));
  });
  process.send!({ ready: true });
}

// ------------------------------------------------------------------------------------------------------ parent
interface Worker {
  proc: ChildProcess;
  next(): Promise<Record<string, unknown>>;
}

function spawnVariant(variant: Variant, url: string): Worker {
  const profile = process.env.BENCH_PROFILE?.split(',').includes(variant);
  const proc = fork(SELF, ['--child', variant, url], {
    // BENCH_PROFILE=default,bare writes V8 CPU profiles of those children to BENCH_PROFILE_DIR (default bench/.profiles)
    execArgv: [
      '--import',
      'tsx',
      ...(profile
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR ?? join(dirname(SELF), '..', '.profiles')}`]
        : []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const queue: Record<string, unknown>[] = [];
  const waiting: ((m: Record<string, unknown>) => void)[] = [];
  proc.on('message', (m: Record<string, unknown>) => {
    const w = waiting.shift();
    if (w) w(m);
    else queue.push(m);
  });
  proc.on('exit', (code) => {
    if (code !== 0 && !stopping) {
      console.error(`variant ${variant} exited with ${code}`);
      process.exit(1);
    }
  });
  return {
    proc,
    next: () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((resolve) => waiting.push(resolve))),
  };
}

let stopping = false;

async function turn(w: Worker, n: number, round = 0): Promise<RoundResult> {
  w.proc.send({ n, round });
  return (await w.next()) as unknown as RoundResult;
}

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const r1 = (x: number): number => Math.round(x * 10) / 10;
const r2 = (x: number): number => Math.round(x * 100) / 100;
const load = (): number[] => loadavg().map(r2);
const spread = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: r1(pct(s, 0.5)), q1: r1(pct(s, 0.25)), q3: r1(pct(s, 0.75)) };
};

interface VariantSummary {
  /** Median [q1, q3] over rounds of (variant / bare in the same round − 1), %. */
  wallVsBarePct: { median: number; q1: number; q3: number };
  cpuVsBarePct: { median: number; q1: number; q3: number };
  /** Ratio of the sums over all rounds, %. */
  totalWallVsBarePct: number;
  totalCpuVsBarePct: number;
  totalWallMillis: number;
  /** The child's CPU per query (user + system), µs; median over rounds. */
  cpuMicrosPerQuery: number;
  /** Of which system (kernel) time, µs; median over rounds. */
  sysMicrosPerQuery: number;
}

function summarize(
  wall: Record<string, number[]>,
  cpu: Record<string, number[]>,
  sys: Record<string, number[]>,
  variants: readonly string[] = SEPARATE,
): Record<string, VariantSummary> {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const out: Record<string, VariantSummary> = {};
  for (const v of variants) {
    const ratios = (x: number[], base: number[]) => x.map((t, i) => (t / base[i]! - 1) * 100);
    out[v] = {
      wallVsBarePct: spread(ratios(wall[v]!, wall.bare!)),
      cpuVsBarePct: spread(ratios(cpu[v]!, cpu.bare!)),
      totalWallVsBarePct: r1((sum(wall[v]!) / sum(wall.bare!) - 1) * 100),
      totalCpuVsBarePct: r1((sum(cpu[v]!) / sum(cpu.bare!) - 1) * 100),
      totalWallMillis: Math.round(sum(wall[v]!)),
      cpuMicrosPerQuery: r2(
        pct(
          [...cpu[v]!].sort((a, b) => a - b),
          0.5,
        ) *
          (1000 / ROUND_QUERIES),
      ),
      sysMicrosPerQuery: r2(
        pct(
          [...sys[v]!].sort((a, b) => a - b),
          0.5,
        ) *
          (1000 / ROUND_QUERIES),
      ),
    };
  }
  return out;
}

async function parent(): Promise<void> {
  const { startPostgres } = await import('../../test/support/postgres.js');
  const server = await startPostgres();
  const workers = {} as Record<Variant, Worker>;
  const childReports: Record<string, unknown> = {};
  try {
    for (const v of VARIANTS) workers[v] = spawnVariant(v, server.adminUrl);
    for (const v of VARIANTS) await workers[v].next(); // ready
    const loadBefore = load();
    for (let w = 0; w < WARMUP_ROUNDS; w++) for (const v of VARIANTS) await turn(workers[v], ROUND_QUERIES);
    const series = () =>
      Object.fromEntries([...VARIANTS, 'paired-bare', 'paired-default'].map((v) => [v, [] as number[]]));
    const wall = series();
    const cpu = series();
    const sys = series();
    const push = (v: string, res: RoundResult) => {
      wall[v]!.push(res.wallMillis);
      cpu[v]!.push(res.cpuMillis);
      sys[v]!.push(res.sysMillis);
    };
    for (let r = 0; r < ROUNDS; r++) {
      for (let j = 0; j < VARIANTS.length; j++) {
        const v = VARIANTS[(r + j) % VARIANTS.length]!;
        const res = await turn(workers[v], ROUND_QUERIES, r);
        if (v === 'paired') {
          const p = res as unknown as { bare: RoundResult; inst: RoundResult };
          push('paired-bare', p.bare);
          push('paired-default', p.inst);
        } else push(v, res);
      }
    }
    const loadAfter = load();
    stopping = true;
    for (const v of VARIANTS) {
      workers[v].proc.send({ stop: true });
      const { done: _, ...counts } = await workers[v].next();
      childReports[v] = counts;
    }
    // let the children exit by themselves (a CPU profile is written at exit)
    await Promise.all(
      VARIANTS.map((v) =>
        workers[v].proc.exitCode === null
          ? new Promise((resolve) => workers[v].proc.once('exit', resolve))
          : Promise.resolve(),
      ),
    );
    const summary = summarize(wall, cpu, sys);
    const pairedSummary = VARIANTS.includes('paired')
      ? summarize(
          { bare: wall['paired-bare']!, default: wall['paired-default']! },
          { bare: cpu['paired-bare']!, default: cpu['paired-default']! },
          { bare: sys['paired-bare']!, default: sys['paired-default']! },
          ['bare', 'default'],
        )
      : null;

    const fmt = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} %`;
    const head = [
      'variant',
      'wall: median [q1, q3]',
      'total',
      'client CPU: median [q1, q3]',
      'total',
      'CPU µs/query',
      'of which sys',
    ];
    const rowOf = (label: string, s: VariantSummary) => [
      label,
      `${fmt(s.wallVsBarePct.median)} [${fmt(s.wallVsBarePct.q1)}, ${fmt(s.wallVsBarePct.q3)}]`,
      fmt(s.totalWallVsBarePct),
      `${fmt(s.cpuVsBarePct.median)} [${fmt(s.cpuVsBarePct.q1)}, ${fmt(s.cpuVsBarePct.q3)}]`,
      fmt(s.totalCpuVsBarePct),
      s.cpuMicrosPerQuery.toFixed(1),
      s.sysMicrosPerQuery.toFixed(1),
    ];
    const rows = SEPARATE.map((v) => rowOf(v, summary[v]!));
    if (pairedSummary) {
      rows.push(rowOf('paired: bare', pairedSummary.bare!), rowOf('paired: default', pairedSummary.default!));
    }
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cols: string[]) => cols.map((c, i) => c.padEnd(widths[i]!)).join('  ');
    console.log(
      `overhead vs the bare pool, one process per variant (paired: bare and default turns in one process), ` +
        `${ROUNDS} interleaved rounds × ${ROUND_QUERIES} queries ` +
        `(${CONCURRENCY} workers, ${PER_REQUEST} queries per request), Node ${process.version}`,
    );
    console.log(line(head));
    for (const r of rows) console.log(line(r));
    console.log(`load average ${loadBefore.join(' ')} → ${loadAfter.join(' ')}`);
    const def = summary.default;
    for (const v of VARIANTS) {
      const c = childReports[v] as { attributedQueries: number; totalQueries: number; requestReports: number };
      if (c.requestReports > 0) {
        console.log(
          `${v}: ${c.attributedQueries} of ${c.totalQueries} queries attributed to ${c.requestReports} requests`,
        );
      }
    }
    const aa = summary['bare-b'];
    if (aa) {
      console.log(
        `A/A noise floor (two identical bare processes): ${fmt(aa.wallVsBarePct.median)} wall, ${fmt(aa.cpuVsBarePct.median)} client CPU`,
      );
    }
    if (def) {
      console.log(
        `instrument(pool), default mode, separate processes: ${fmt(def.wallVsBarePct.median)} wall, ` +
          `${fmt(def.cpuVsBarePct.median)} client CPU vs the bare pool (median of per-round ratios; target < 5 %)`,
      );
    }
    const pd = pairedSummary?.default;
    if (pd) {
      console.log(
        `instrument(pool), default mode, same process, paired adjacent turns: ${fmt(pd.wallVsBarePct.median)} wall, ` +
          `${fmt(pd.cpuVsBarePct.median)} client CPU vs the bare pool (target < 5 %)`,
      );
    }
    const out = {
      benchmark: 'instrument',
      date: new Date().toISOString(),
      node: process.version,
      server: 'PostgreSQL 15, throwaway (test/support/postgres.ts)',
      statement: 'SELECT $1::int AS v',
      method:
        'one child process per variant, interleaved rotating rounds, median of per-round ratios vs bare; plus one ' +
        'child that runs bare and default turns back to back in the same process (order alternating), valid for ' +
        'the default because it enables no async hook',
      queriesPerVariant: ROUNDS * ROUND_QUERIES,
      roundQueries: ROUND_QUERIES,
      rounds: ROUNDS,
      warmupRounds: WARMUP_ROUNDS,
      concurrency: CONCURRENCY,
      queriesPerRequest: PER_REQUEST,
      loadAverage: { before: loadBefore, after: loadAfter },
      targetPercent: 5,
      defaultModeVsBarePct: {
        separateProcesses: def ? { wall: def.wallVsBarePct.median, clientCpu: def.cpuVsBarePct.median } : null,
        sameProcessPaired: pd ? { wall: pd.wallVsBarePct.median, clientCpu: pd.cpuVsBarePct.median } : null,
        aaNoiseFloor: aa ? { wall: aa.wallVsBarePct.median, clientCpu: aa.cpuVsBarePct.median } : null,
      },
      variants: summary,
      paired: pairedSummary,
      childReports,
      roundWallMillis: wall,
      roundCpuMillis: cpu,
      roundSysMillis: sys,
    };
    const file = process.env.BENCH_OUT ?? join(dirname(SELF), '..', 'results', 'instrument.json');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
    console.log(`written ${file}`);
  } finally {
    stopping = true;
    for (const w of Object.values(workers)) if (w.proc.exitCode === null) w.proc.kill();
    await server.stop();
  }
}

const at = process.argv.indexOf('--child');
if (at >= 0) await child(process.argv[at + 1] as Variant, process.argv[at + 2]!);
else await parent();
