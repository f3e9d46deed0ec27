/**
 * Overhead of `instrument(pool)` against the bare node-postgres pool, on a throwaway PostgreSQL 15
 * (test/support/postgres.ts): `SELECT $1::int` round trips by CONCURRENCY workers, PER_REQUEST queries per request.
 *
 * Variants, each in BENCH_PROCESSES (3) processes, instrumented once for the process's life as an application would be:
 *
 *   bare          the pool as is
 *   bare-b        more bare processes: the A/A noise floor of the method
 *   default       instrument(pool) with its defaults, each request in runInRequest: THE figure
 *   als           instrument(pool, { scope: 'als' }): dbsage's own AsyncLocalStorage per request
 *   scope-none    instrument(pool, { scope: 'none' }): pool health only, runInRequest just runs
 *   app-als       no dbsage; the application scopes each request with its own AsyncLocalStorage.run
 *   external      app-als plus instrument(pool, { scope: appAls }): dbsage reuses the application's context
 *   paired        ONE process with two identical pools, one bare, one instrumented with the defaults for the process's
 *                 life; their turns back to back (order alternating)
 *   loaded        dbsage imported and its SQL parser loaded, nothing instrumented: what the library's presence costs
 *
 * Why separate processes: once an AsyncLocalStorage (any async hook) has been enabled in a Node 20 process,
 * promise-heavy code stays slower after it is disabled again (measured ≈ +17 % on a plain await loop), so a
 * bare turn that follows an instrumented turn in the same process is not bare. And an application either has
 * dbsage in its process or not: the separate-process comparison is the one that measures what it pays.
 *
 * Why several processes per variant (BENCH_PROCESSES, default 3): two identical bare processes differ by several
 * percent for the whole run (which CPU and which PostgreSQL backends they share, heap and code layout); with one
 * process per variant that offset was as large as the effect (A/A +3.1 % wall with default at +9.8 %). Here every
 * variant runs in PROCESSES processes, each process one turn per round, and a variant's round figure is the mean of
 * its turns, so the offsets average out; and the rounds are split between BENCH_GENERATIONS (8) generations of fresh
 * processes (each warmed up), so that every variant is measured in PROCESSES × GENERATIONS = 24 processes: with 3
 * processes for the whole run, one process's offset (seen from -8 % to +12 % in CPU) still moved a variant's figure by
 * several points between runs. The lines "process offsets" give each variant's range over its processes, and
 * bare-b vs bare is the remaining A/A floor. Every process runs one turn per round because the time a process
 * sits idle between its turns changes its speed (see REPLICATED). 100 000 queries per variant in all
 * (ROUNDS × PROCESSES × BENCH_ROUND_QUERIES), plus each generation's warm-up.
 *
 * The paired child is reported next to it, not as the headline: it removes the process offset (valid for the default
 * mode, which enables no async hook: Node < 24 'continuation', Node ≥ 24 AsyncLocalStorage on V8 continuation
 * data), but its bare pool shares pg's code, inline caches and heap with the instrumented pool, so its bare turns pay
 * part of the instrumentation (polymorphic client shapes, more garbage): it tends to understate the overhead.
 *
 * Noise control (2 shared cores): the parent drives short turns (BENCH_ROUND_QUERIES), one child at a time, in an
 * order that rotates round by round, after warm-up rounds. Reported per variant: the median (and interquartile range)
 * over rounds of the per-round ratio vs bare in the same round, for wall time and for the child's own CPU time
 * (user + system; PostgreSQL excluded), plus client CPU µs per query, the ratio of totals, and the 1/5/15-minute load
 * averages before and after. A process never runs two turns in a row: a turn that follows its own previous one finds
 * its caches warm (processes that ran three consecutive turns per round came out ≈ 10 % faster in wall time than
 * bare, dbsage or not).
 *
 * The children are plain Node on the compiled library (child.mjs; the parent builds packages/dbsage first), as an
 * application runs it, without tsx's loader thread and transforms in the measured process.
 *
 * The load-independent measure: `npm run bench:instrument -- --instructions` counts the client's user-space
 * instructions per query (valgrind callgrind, `node --single-threaded` so that compilation and garbage collection are
 * counted on the one thread, main thread only, exactly the measured queries) for bare, scope 'none' and the default.
 * It does not depend on the machine's load. With 8 workers it was not repeatable (how many results each socket read
 * brings and when V8 optimises differ from run to run: the same bare run gave 56.7 k and 63.7 k), so this mode runs one
 * worker (BENCH_INSTRUCTION_CONCURRENCY=1) with V8's `--predictable`: the same bare run then counts the same within
 * 0.1 %, the instrumented ones within about 2 %. Reported as the mean of BENCH_INSTRUCTION_REPEATS runs with each run
 * listed; it is blind to cache misses and to kernel time (the socket writes and reads, about 40 % of the client's CPU,
 * which instrument() does not change).
 *
 *   npm run bench:instrument   (BENCH_QUERIES=100000 BENCH_ROUND_QUERIES=250 BENCH_PROCESSES=3 BENCH_GENERATIONS=8
 *                               BENCH_CONCURRENCY=8 BENCH_PER_REQUEST=10)
 *   BENCH_VARIANTS=bare,default,bare-b npm run bench:instrument   (a subset; bare is always included)
 *   npm run bench:instrument -- --instructions   (valgrind; BENCH_INSTRUCTION_QUERIES=8000, _WARMUP=4000, _REPEATS=2)
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const QUERIES = Number(process.env.BENCH_QUERIES ?? 100_000);
const ROUND_QUERIES = Number(process.env.BENCH_ROUND_QUERIES ?? 250);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const PER_REQUEST = Number(process.env.BENCH_PER_REQUEST ?? 10);
const WARMUP_ROUNDS = Number(process.env.BENCH_WARMUP_ROUNDS ?? 10);
/** Processes per replicated variant (bare, bare-b, default); every variant runs this many turns per round. */
const PROCESSES = Math.max(1, Number(process.env.BENCH_PROCESSES ?? 3));
const ROUNDS = Math.max(1, Math.round(QUERIES / (ROUND_QUERIES * PROCESSES)));
/**
 * Generations of processes: the rounds are split between GENERATIONS sets of fresh processes (each warmed up), so that
 * every variant is measured in PROCESSES × GENERATIONS processes in all and a process's lasting offset (its CPU, its
 * PostgreSQL backends, its heap layout: several percent either way) weighs 1 / (PROCESSES × GENERATIONS).
 */
const GENERATIONS = Math.max(1, Math.min(ROUNDS, Number(process.env.BENCH_GENERATIONS ?? 8)));
const ALL_VARIANTS = [
  'bare',
  'bare-b',
  'default',
  'als',
  'scope-none',
  'app-als',
  'external',
  'paired',
  'loaded',
] as const;
/**
 * Variants measured in PROCESSES separate processes each, so that one process's offset does not decide them: all of
 * them, so that every process runs one turn per round (a process that ran three turns per round, less idle between
 * them, came out ≈ 6 % faster in wall time than the bare processes, dbsage or not).
 */
const REPLICATED: readonly string[] = ALL_VARIANTS;
type Variant = (typeof ALL_VARIANTS)[number];
const VARIANTS: Variant[] = (() => {
  const wanted = process.env.BENCH_VARIANTS?.split(',').map((s) => s.trim()) ?? [...ALL_VARIANTS];
  for (const v of wanted) if (!(ALL_VARIANTS as readonly string[]).includes(v)) throw new Error(`unknown variant ${v}`);
  return ['bare', ...(wanted.filter((v) => v !== 'bare') as Variant[])];
})();
const SELF = fileURLToPath(import.meta.url);
const ROOT = join(dirname(SELF), '..', '..');
/** The measured processes: plain Node on the compiled library (child.mjs says why not tsx). */
const CHILD = join(dirname(SELF), 'child.mjs');

/** Compiles packages/dbsage to dist (incremental), which the children import as an application would. */
function buildLibrary(): void {
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', join(ROOT, 'packages', 'dbsage')],
    {
      stdio: 'inherit',
    },
  );
}
/** The variants compared across processes (the paired child reports bare and default turns of its own). */
const SEPARATE = VARIANTS.filter((v) => v !== 'paired');

interface RoundResult {
  wallMillis: number;
  cpuMillis: number;
  /** The kernel's share of cpuMillis (system time: socket writes on loopback run PostgreSQL's receive path too). */
  sysMillis: number;
}

// ------------------------------------------------------------------------------------------------------ parent
interface Worker {
  proc: ChildProcess;
  next(): Promise<Record<string, unknown>>;
}

function spawnVariant(variant: Variant, url: string): Worker {
  const profile = process.env.BENCH_PROFILE?.split(',').includes(variant);
  const proc = fork(CHILD, ['--child', variant, url], {
    // BENCH_PROFILE=default,bare writes V8 CPU profiles of those children to BENCH_PROFILE_DIR (default bench/.profiles)
    execArgv: [
      ...(profile
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR ?? join(dirname(SELF), '..', '.profiles')}`]
        : []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const queue: Record<string, unknown>[] = [];
  const waiting: { resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];
  let failed: Error | undefined;
  proc.on('message', (m: Record<string, unknown>) => {
    const w = waiting.shift();
    if (w) w.resolve(m);
    else queue.push(m);
  });
  proc.on('exit', (code) => {
    if (code !== 0 && !stopping) {
      // rejected rather than process.exit: the parent's finally stops the children and PostgreSQL
      failed = new Error(`variant ${variant} exited with ${code}`);
      for (const w of waiting.splice(0)) w.reject(failed);
    }
  });
  return {
    proc,
    next: () =>
      queue.length
        ? Promise.resolve(queue.shift()!)
        : failed
          ? Promise.reject(failed)
          : new Promise((resolve, reject) => waiting.push({ resolve, reject })),
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
  // every process holds CONCURRENCY connections (the paired one twice that)
  const pools = VARIANTS.reduce((n, v) => n + (REPLICATED.includes(v) ? PROCESSES : 1) * (v === 'paired' ? 2 : 1), 0);
  const server = await startPostgres({ max_connections: String(pools * CONCURRENCY + 20) });
  /** One process per (variant, replica): `default#2`; the non-replicated variants have one process, `als#0`. */
  const workers: Record<string, Worker> = {};
  const processesOf = (v: Variant): string[] =>
    Array.from({ length: REPLICATED.includes(v) ? PROCESSES : 1 }, (_, i) => `${v}#${i}`);
  const childReports: Record<string, { attributedQueries: number; totalQueries: number; requestReports: number }> = {};
  try {
    // Every variant runs PROCESSES turns per round: on its PROCESSES processes in turn, or all on its one process.
    // Replica-major order: a process never runs two turns in a row (a turn right after its own previous one finds
    // its caches warm: measured ≈ 10 % less wall time than a turn after another process).
    const slots = Array.from({ length: PROCESSES }, (_, i) =>
      VARIANTS.map((v) => {
        const ids = processesOf(v);
        return { v, id: ids[i % ids.length]! };
      }),
    ).flat();
    const loadBefore = load();
    const series = () =>
      Object.fromEntries([...VARIANTS, 'paired-bare', 'paired-default'].map((v) => [v, [] as number[]]));
    const wall = series();
    const cpu = series();
    const sys = series();
    /** Per process: the median over rounds of its turn vs the bare processes' mean in that round (its offset). */
    const processVsBare: Record<string, { wall: number[]; cpu: number[] }> = {};
    let r = 0;
    for (let g = 0; g < GENERATIONS; g++) {
      stopping = false;
      for (const v of VARIANTS) for (const id of processesOf(v)) workers[id] = spawnVariant(v, server.adminUrl);
      for (const w of Object.values(workers)) await w.next(); // ready
      for (let w = 0; w < WARMUP_ROUNDS; w++) for (const slot of slots) await turn(workers[slot.id]!, ROUND_QUERIES);
      const until = Math.round((ROUNDS * (g + 1)) / GENERATIONS);
      for (; r < until; r++) {
        const acc: Record<string, RoundResult[]> = {};
        const add = (v: string, res: RoundResult) => {
          acc[v] ??= [];
          acc[v].push(res);
        };
        const byProcess: [string, RoundResult][] = [];
        for (let j = 0; j < slots.length; j++) {
          const slot = slots[(r + j) % slots.length]!;
          const res = await turn(workers[slot.id]!, ROUND_QUERIES, r);
          if (slot.v === 'paired') {
            const p = res as unknown as { bare: RoundResult; inst: RoundResult };
            add('paired-bare', p.bare);
            add('paired-default', p.inst);
          } else {
            add(slot.v, res);
            byProcess.push([`${slot.id}.${g}`, res]);
          }
        }
        // the round's figure of a variant: the mean of its PROCESSES turns
        for (const [v, results] of Object.entries(acc)) {
          const mean = (f: (x: RoundResult) => number) => results.reduce((a, x) => a + f(x), 0) / results.length;
          wall[v]!.push(mean((x) => x.wallMillis));
          cpu[v]!.push(mean((x) => x.cpuMillis));
          sys[v]!.push(mean((x) => x.sysMillis));
        }
        for (const [id, res] of byProcess) {
          processVsBare[id] ??= { wall: [], cpu: [] };
          processVsBare[id].wall.push((res.wallMillis / wall.bare![r]! - 1) * 100);
          processVsBare[id].cpu.push((res.cpuMillis / cpu.bare![r]! - 1) * 100);
        }
      }
      stopping = true;
      for (const [id, w] of Object.entries(workers)) {
        w.proc.send({ stop: true });
        const { done: _, ...counts } = await w.next();
        const v = id.split('#')[0]!;
        const c = counts as (typeof childReports)[string];
        childReports[v] ??= { attributedQueries: 0, totalQueries: 0, requestReports: 0 };
        const sum = childReports[v];
        sum.attributedQueries += c.attributedQueries;
        sum.totalQueries += c.totalQueries;
        sum.requestReports += c.requestReports;
      }
      // let the children exit by themselves (a CPU profile is written at exit)
      await Promise.all(
        Object.values(workers).map((w) =>
          w.proc.exitCode === null ? new Promise((resolve) => w.proc.once('exit', resolve)) : Promise.resolve(),
        ),
      );
    }
    const loadAfter = load();
    const processOffsets = Object.fromEntries(
      Object.entries(processVsBare).map(([id, x]) => [
        id,
        { wallVsBarePct: spread(x.wall).median, cpuVsBarePct: spread(x.cpu).median },
      ]),
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
      `overhead vs the bare pool; each variant in ${PROCESSES * GENERATIONS} processes (${GENERATIONS} generations of ` +
        `${PROCESSES}; paired: bare and default turns in each of its processes); ${ROUNDS} interleaved rounds × ${PROCESSES} turns × ` +
        `${ROUND_QUERIES} queries per variant ` +
        `(${CONCURRENCY} workers, ${PER_REQUEST} queries per request), Node ${process.version}`,
    );
    console.log(line(head));
    for (const r of rows) console.log(line(r));
    console.log(`load average ${loadBefore.join(' ')} → ${loadAfter.join(' ')}`);
    const def = summary.default;
    for (const v of VARIANTS) {
      const c = childReports[v]!;
      if (c.requestReports > 0) {
        console.log(
          `${v}: ${c.attributedQueries} of ${c.totalQueries} queries attributed to ${c.requestReports} requests`,
        );
      }
    }
    console.log("process offsets vs the bare processes' mean (each process's median over its rounds), per variant:");
    for (const v of SEPARATE) {
      const own = Object.entries(processOffsets).filter(([id]) => id.split('#')[0] === v);
      const range = (xs: number[]) =>
        `${fmt(Math.min(...xs))} … ${fmt(Math.max(...xs))} (mean ${fmt(xs.reduce((a, b) => a + b, 0) / xs.length)})`;
      console.log(
        `  ${v.padEnd(10)} ${own.length} processes: wall ${range(own.map(([, o]) => o.wallVsBarePct))}, client CPU ${range(own.map(([, o]) => o.cpuVsBarePct))}`,
      );
    }
    const aa = summary['bare-b'];
    if (aa) {
      console.log(
        `A/A noise floor (bare-b vs bare, ${PROCESSES * GENERATIONS} identical bare processes each): ${fmt(aa.wallVsBarePct.median)} wall, ` +
          `${fmt(aa.cpuVsBarePct.median)} client CPU`,
      );
    }
    if (def) {
      console.log(
        `instrument(pool), default mode, ${PROCESSES * GENERATIONS} processes vs ${PROCESSES * GENERATIONS} bare processes: ${fmt(def.wallVsBarePct.median)} wall, ` +
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
        `every variant in ${GENERATIONS} generations of ${PROCESSES} fresh child processes (plain Node on the compiled ` +
        'library, warmed up), each process one turn ' +
        "per round, interleaved in an order rotating round by round; a variant's round figure is " +
        'the mean of its turns; median of per-round ratios vs bare; plus one child that runs bare and default turns ' +
        'back to back in the same process (order alternating, in PROCESSES such processes), valid for the default ' +
        'because it enables no async hook',
      processesPerReplicatedVariant: PROCESSES,
      generations: GENERATIONS,
      queriesPerVariant: ROUNDS * ROUND_QUERIES * PROCESSES,
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
      processOffsets,
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

// ----------------------------------------------------------------------------------------- instruction counts
const INSTRUCTION_VARIANTS = ['bare', 'scope-none', 'default'] as const;

/**
 * `npm run bench:instrument -- --instructions`: user-space instructions per query of the client's main thread
 * (callgrind, --separate-threads: the tsx loader's and V8's background threads are left out), bare vs pool health
 * only vs the default. Deterministic within about ±1 % (JIT and GC timing), independent of the machine's load.
 */
/**
 * BENCH_DIAG_CLONE=1 (with --instructions): each child also reports the state of the inline cache of pg's row clone
 * (`{ ...this._prebuiltEmptyResultObject }` in pg/lib/result.js) after the measured queries: MEGAMORPHIC means the
 * rows were built on V8's slow generic path (7–10 k instructions more per query), so the count is not comparable.
 */
const DIAG_CLONE = process.env.BENCH_DIAG_CLONE === '1';

async function instructions(): Promise<void> {
  const n = Number(process.env.BENCH_INSTRUCTION_QUERIES ?? 8000);
  const warm = Number(process.env.BENCH_INSTRUCTION_WARMUP ?? 4000);
  const repeats = Number(process.env.BENCH_INSTRUCTION_REPEATS ?? 2);
  const INSTRUCTION_CONCURRENCY = Number(process.env.BENCH_INSTRUCTION_CONCURRENCY ?? 1);
  const { mkdtempSync, readdirSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { startPostgres } = await import('../../test/support/postgres.js');
  const server = await startPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'dbsage-callgrind-'));
  const perQuery: Record<string, number[]> = {};
  try {
    for (let r = 0; r < repeats; r++) {
      for (const v of INSTRUCTION_VARIANTS) {
        const out = join(dir, `${v}-${r}`);
        const stdout = execFileSync(
          'valgrind',
          [
            '--tool=callgrind',
            '--separate-threads=yes',
            `--callgrind-out-file=${out}`,
            '--zero-before=node::os::GetHostname*',
            '--dump-before=node::os::GetLoadAvg*',
            process.execPath,
            // V8 compiles and collects garbage on the main thread: the count no longer depends on when background
            // compile jobs happen to finish under valgrind (with them, repeated runs differed by up to 20 %)
            '--single-threaded',
            // V8's deterministic mode (fixed hash seeds, no concurrent work): the same bare run gives the same count
            // within 0.1 % (without it, 56.7 k and 63.7 k)
            '--predictable',
            // BENCH_DIAG_CLONE=1: the child prints the state of pg's row-clone inline cache (diagnostic)
            ...(DIAG_CLONE ? ['--allow-natives-syntax'] : []),
            CHILD,
            '--instructions-child',
            v,
            server.adminUrl,
            String(n),
            String(warm),
          ],
          {
            stdio: ['ignore', DIAG_CLONE ? 'pipe' : 'ignore', 'pipe'],
            encoding: 'utf8',
            // one worker: each result arrives in a read of its own (with 8, how many results a read brings varies)
            env: { ...process.env, BENCH_CONCURRENCY: String(INSTRUCTION_CONCURRENCY) },
          },
        );
        // the dump made at os.loadavg(), main thread (-01)
        const dump = readdirSync(dir).find((f) => f.startsWith(`${v}-${r}.`) && f.endsWith('-01'));
        const summary = dump && /^summary: (\d+)/m.exec(readFileSync(join(dir, dump), 'utf8'));
        if (!summary) throw new Error(`no callgrind dump for ${v}`);
        perQuery[v] ??= [];
        perQuery[v].push(Number(summary[1]) / n);
        const clone = DIAG_CLONE ? ` (pg row clone IC: ${/CloneObject (\w+)/.exec(stdout ?? '')?.[1] ?? '?'})` : '';
        console.log(`${v} #${r}: ${Math.round(Number(summary[1]) / n)} instructions per query${clone}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await server.stop();
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const bare = mean(perQuery.bare!);
  const result = Object.fromEntries(
    INSTRUCTION_VARIANTS.map((v) => [
      v,
      { instructionsPerQuery: Math.round(mean(perQuery[v]!)), vsBarePct: r1((mean(perQuery[v]!) / bare - 1) * 100) },
    ]),
  );
  for (const [v, x] of Object.entries(result)) {
    console.log(
      `${v.padEnd(10)} ${x.instructionsPerQuery} instructions per query (${x.vsBarePct >= 0 ? '+' : ''}${x.vsBarePct} %)`,
    );
  }
  const file = process.env.BENCH_OUT ?? join(dirname(SELF), '..', 'results', 'instrument-instructions.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        benchmark: 'instrument --instructions',
        date: new Date().toISOString(),
        node: process.version,
        statement: 'SELECT $1::int AS v',
        method:
          'valgrind --tool=callgrind --separate-threads=yes, node --single-threaded --predictable on the compiled ' +
          'library, one worker, client ' +
          'main thread, user-space instructions between ' +
          'os.hostname() and os.loadavg() around the measured queries',
        queries: n,
        warmupQueries: warm,
        repeats,
        concurrency: INSTRUCTION_CONCURRENCY,
        queriesPerRequest: PER_REQUEST,
        loadAverage: load(),
        variants: result,
        runs: perQuery,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`written ${file}`);
}

buildLibrary();
if (process.argv.includes('--instructions')) await instructions();
else await parent();
