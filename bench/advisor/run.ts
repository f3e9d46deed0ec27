/**
 * `npm run bench:advisor`: the index advisor against two per-query baselines, on (a) the demo workload and (b) a
 * TPC-H database generated here (bench/advisor/tpch), at storage budgets of 2.5 … 80 % of the data size.
 *
 * Everything runs on a throwaway PostgreSQL 15 with HypoPG (test/support/postgres.ts; never the machine's own
 * server). For each workload and budget: dbsage (`adviseIndexes`, HypoPG what-if), a Dexter-like and a supabase
 * index_advisor-like baseline (bench/advisor/baselines.ts) each produce an index set; every set is then costed with
 * real indexes (bench/advisor/real-cost.ts): RC = Σ calls × cost(with the set) / Σ calls × cost(without). Also
 * measured: workload time (median of 3 runs per statement) without new indexes and with the sets at the
 * `--measure` budgets (every method on the demo, dbsage on TPC-H), the advisor's what-if calls and wall time.
 *
 * TPC-H runs twice on one loaded database: `tpch` (all 22 queries) and `tpch19` (without Q2, Q17 and Q20, as the
 * index selection evaluation platform of Kossmann et al., VLDB 2020, does for PostgreSQL: their correlated
 * subqueries make the planner's cost of the whole workload hinge on one index). Where dbsage does not dominate a
 * baseline, the baseline's indexes that dbsage did not choose are left out one at a time to show which gives it
 * the edge.
 *
 * The demo is also advised on embedded PostgreSQL (PGlite, real-index what-if; `--embedded no` skips it), and those
 * sets are costed on the server like the others.
 *
 * Options: --workloads demo,tpch,tpch19  --sf 0.1  --demo-scale 0.2  --budgets 2.5,5,10,20,40,80  --measure 10,40
 *          --seed 1  --timeout 60 (seconds per measured statement run)  --time-limit 60 (advisor search, seconds)
 *          --embedded yes|no  --measure-edge yes|no  --name advisor  --render bench/results/advisor.json (redraw only)
 * Writes bench/results/<name>.json and .svg (`--name`, default `advisor`), prints a table.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type AdvisorResult, adviseIndexes } from '../../packages/dbsage/src/advisor/indexes/advise.js';
import type { IndexCandidate } from '../../packages/dbsage/src/advisor/indexes/candidate.js';
import { buildDemoDatabase } from '../../packages/dbsage/src/demo/build.js';
import { replayDemoWorkload } from '../../packages/dbsage/src/demo/replay.js';
import { EmbeddedClient } from '../../packages/dbsage/src/engines/postgres/embedded-client.js';
import { ServerClient } from '../../packages/dbsage/src/engines/postgres/server-client.js';
import { fingerprintSql, loadParser } from '../../packages/dbsage/src/sql/parser.js';
import type { Workload } from '../../packages/dbsage/src/workload/types.js';
import { createDatabaseAt, startPostgres } from '../../test/support/postgres.js';
import { type BaselineResult, dexterLike, supabaseLike, underBudget } from './baselines.js';
import { RealIndexBench, type SetCost, type SetTiming } from './real-cost.js';
import type { BenchStatement } from './statement.js';
import { renderChart } from './svg.js';
import { tpchLoadSteps, tpchRowCounts } from './tpch/generate.js';
import { tpchQueries } from './tpch/queries.js';

const METHODS = ['dbsage', 'dexter', 'supabase'] as const;
type Method = (typeof METHODS)[number];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const numbers = (s: string) =>
  s
    .split(',')
    .map((x) => Number(x.trim()))
    .filter((x) => Number.isFinite(x) && x > 0);

const options = {
  workloads: arg('workloads', 'demo,tpch,tpch19').split(','),
  sf: Number(arg('sf', '0.1')),
  demoScale: Number(arg('demo-scale', '0.2')),
  budgets: numbers(arg('budgets', '2.5,5,10,20,40,80')),
  measure: numbers(arg('measure', '10,40')),
  seed: Number(arg('seed', '1')),
  timeoutSeconds: Number(arg('timeout', '60')),
  timeLimitSeconds: Number(arg('time-limit', '60')),
  /** Also run dbsage on embedded PostgreSQL (PGlite, real-index what-if) for the demo; its sets are costed here. */
  embedded: arg('embedded', 'yes') !== 'no',
  /** Measure the workload time behind a baseline's edge where dbsage does not dominate (yes|no). */
  measureEdge: arg('measure-edge', 'yes') !== 'no',
  /** Results file name (bench/results/<name>.json and .svg). */
  name: arg('name', 'advisor'),
};

const here = fileURLToPath(new URL('.', import.meta.url));
const resultsDir = join(here, '..', 'results');
const log = (s: string) => process.stderr.write(`${s}\n`);
const round = (n: number, d = 4) => Math.round(n * 10 ** d) / 10 ** d;
const mb = (b: number) => round(b / 1024 ** 2, 2);
const load = () => loadavg().map((x) => round(x, 2));

/** One index of a set: definition, the size the method budgeted with, the built size. */
interface IndexDetail {
  index: string;
  estimatedBytes: number;
  realBytes: number;
}

interface MethodAtBudget {
  /** Baselines only: RC when the baseline is budgeted with the built (exact) sizes instead of HypoPG's. */
  rcWithRealSizes?: number;
  indexes: IndexDetail[];
  count: number;
  /** Size the method budgeted with (HypoPG / model estimate), bytes. */
  estimatedBytes: number;
  /** On-disk size of the built set, bytes. */
  realBytes: number;
  rc: number;
  cost: number;
  /** Statements whose plan uses an index of the set. */
  statementsServed: number;
}

/** dbsage run on embedded PostgreSQL (what-if with real indexes in a rolled-back transaction) at one budget. */
interface EmbeddedAtBudget {
  rc: number;
  count: number;
  realBytes: number;
  indexes: string[];
  wallMillis: number;
  whatIfCalls: number;
  loadavg: number[];
}

interface BudgetResult {
  percent: number;
  budgetBytes: number;
  methods: Record<Method, MethodAtBudget>;
  /** The demo only: dbsage on embedded PGlite, its set costed on this server like the others. */
  embedded?: EmbeddedAtBudget;
  advisor: {
    wallMillis: number;
    whatIfCalls: number;
    candidates: number;
    timedOut: boolean;
    predictedRc: number;
    loadavg: number[];
  };
}

interface WorkloadResult {
  name: string;
  description: string;
  dataBytes: number;
  loadMillis: number;
  statements: { id: string; calls: number; sql: string }[];
  baselines: Record<'dexter' | 'supabase', { proposed: number; whatIfCalls: number; wallMillis: number }>;
  realIndexBuildMillis: number;
  /** Recommended indexes that PostgreSQL refused to build (their sets are costed without them). */
  buildErrors: { index: string; error: string }[];
  costWithout: number;
  budgets: BudgetResult[];
  measured: {
    label: string;
    method?: Method;
    percent: number | null;
    workloadMillis: number;
    timedOut: string[];
    perStatement: SetTiming['statements'];
  }[];
  acceptance: {
    dominatesEveryBudget: boolean;
    notDominated: {
      percent: number;
      method: string;
      dbsage: number;
      other: number;
      /** The baseline's RC with one of its indexes dbsage did not choose left out, the three that matter most first. */
      leaveOneOut: { index: string; rcWithout: number }[];
      /** Measured workload time (ms) of the baseline's set, without its edge index, and of dbsage's set. */
      measuredEdge?: { baselineMillis: number; withoutEdgeMillis: number; dbsageMillis: number };
    }[];
    maxAdvisorWallMillis: number;
    /** Sets whose built indexes take more than the budget (each method budgets with its own size estimates). */
    overBudget: { percent: number; method: string; realBytes: number; budgetBytes: number }[];
  };
}

async function createDatabase(adminUrl: string, name: string): Promise<{ url: string; admin: pg.Client }> {
  const { url, admin } = await createDatabaseAt(adminUrl, name);
  await admin.query('CREATE EXTENSION IF NOT EXISTS hypopg');
  // As `dbsage indexes` does, trigram candidates are on when pg_trgm is available; installed here so that a
  // recommended trigram index can be built for real.
  await admin.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
  return { url, admin };
}

/** Loads TPC-H and returns its statements and workload (planner-cost weights: one call per query). */
async function prepareTpch(admin: pg.Client): Promise<{ statements: BenchStatement[]; workload: Workload }> {
  for (const step of tpchLoadSteps(options.sf, options.seed)) {
    const t = performance.now();
    await admin.query(step.sql);
    log(`  tpch sf ${options.sf}: ${step.label} (${Math.round(performance.now() - t)} ms)`);
  }
  await loadParser();
  const queries = tpchQueries(options.sf, options.seed);
  const statements = queries.map((q) => ({ id: q.id, sql: q.sql, params: [], calls: 1 }));
  const workload: Workload = {
    source: 'sql-file',
    statements: queries.map((q) => ({
      fingerprint: fingerprintSql(q.sql),
      query: q.sql,
      example: q.sql,
      exampleParams: null,
      calls: 1,
      totalTimeMillis: 0,
      meanTimeMillis: 0,
      rows: 0,
      queryId: null,
      location: null,
    })),
    skipped: { count: 0, samples: [] },
    read: queries.length,
  };
  return { statements, workload };
}

/** Builds the demo database and replays its workload (calls and times measured by the replay). */
async function prepareDemo(
  admin: pg.Client,
  client: ServerClient,
): Promise<{ statements: BenchStatement[]; workload: Workload }> {
  await buildDemoDatabase(
    (sql) => admin.query(sql),
    options.demoScale,
    (label) => log(`  demo scale ${options.demoScale}: ${label}`),
  );
  const workload = await replayDemoWorkload(client, options.demoScale);
  const statements = workload.statements.map((s, i) => ({
    id: `D${i + 1}`,
    sql: s.example ?? s.query,
    params: s.exampleParams ?? [],
    calls: s.calls,
  }));
  return { statements, workload };
}

/** TPC-H without Q2, Q17 and Q20, whose correlated subqueries make PostgreSQL's cost (and run time) dwarf the rest. */
const TPCH_LEFT_OUT = ['Q2', 'Q17', 'Q20'];

/** Keeps the statements of a workload whose bench ids are in `ids`. */
function subset(
  data: { statements: BenchStatement[]; workload: Workload },
  keep: (id: string) => boolean,
): { statements: BenchStatement[]; workload: Workload } {
  const idx = data.statements.map((s, i) => (keep(s.id) ? i : -1)).filter((i) => i >= 0);
  return {
    statements: idx.map((i) => data.statements[i]!),
    workload: { ...data.workload, statements: idx.map((i) => data.workload.statements[i]!), read: idx.length },
  };
}

type EmbeddedSets = Map<number, { set: IndexCandidate[]; wallMillis: number; whatIfCalls: number; loadavg: number[] }>;

/** dbsage on embedded PGlite with the same demo data (deterministic) and its own replay: one set per budget. */
async function embeddedDemoSets(): Promise<EmbeddedSets> {
  const out: EmbeddedSets = new Map();
  log('  embedded (PGlite): building the demo database');
  const client = await EmbeddedClient.open();
  try {
    await buildDemoDatabase((sql) => client.execWrite(sql), options.demoScale);
    const workload = await replayDemoWorkload(client, options.demoScale);
    for (const percent of options.budgets) {
      const la = load();
      const result = await adviseIndexes(client, workload, {
        budget: { kind: 'fraction', fraction: percent / 100 },
        timeLimitMillis: options.timeLimitSeconds * 1000,
      });
      log(
        `  dbsage embedded: budget ${percent} %: ${result.recommendations.length} indexes, ${(result.wallMillis / 1000).toFixed(1)} s, ${result.whatIfCalls} what-if calls (${result.engine})`,
      );
      out.set(percent, {
        set: result.recommendations.map((r) => r.candidate),
        wallMillis: result.wallMillis,
        whatIfCalls: result.whatIfCalls,
        loadavg: la,
      });
    }
  } finally {
    await client.close();
  }
  return out;
}

/** Runs the workloads: the demo in its own database, both TPC-H variants on one loaded database. */
async function runAll(adminUrl: string): Promise<WorkloadResult[]> {
  const results: WorkloadResult[] = [];
  if (options.workloads.includes('demo')) {
    const { url, admin } = await createDatabase(adminUrl, 'bench_advisor_demo');
    const client = await ServerClient.connect({ connectionString: url, applicationName: 'dbsage-bench' });
    try {
      log('\n== demo ==');
      const t0 = performance.now();
      const data = await prepareDemo(admin, client);
      const loadMillis = performance.now() - t0;
      const embedded = options.embedded ? await embeddedDemoSets() : undefined;
      const r = await runWorkload('demo', admin, client, data, loadMillis, embedded);
      printTable(r);
      results.push(r);
    } finally {
      await client.close();
      await admin.end();
    }
  }
  const tpch = options.workloads.filter((w) => w === 'tpch' || w === 'tpch19');
  if (tpch.length > 0) {
    const { url, admin } = await createDatabase(adminUrl, 'bench_advisor_tpch');
    const client = await ServerClient.connect({ connectionString: url, applicationName: 'dbsage-bench' });
    try {
      log('\n== tpch: loading ==');
      const t0 = performance.now();
      const data = await prepareTpch(admin);
      const loadMillis = performance.now() - t0;
      for (const name of tpch) {
        log(`\n== ${name} ==`);
        const d = name === 'tpch' ? data : subset(data, (id) => !TPCH_LEFT_OUT.includes(id));
        const r = await runWorkload(name as 'tpch' | 'tpch19', admin, client, d, loadMillis);
        printTable(r);
        results.push(r);
      }
    } finally {
      await client.close();
      await admin.end();
    }
  }
  return results;
}

async function runWorkload(
  name: 'demo' | 'tpch' | 'tpch19',
  admin: pg.Client,
  client: ServerClient,
  data: { statements: BenchStatement[]; workload: Workload },
  loadMillis: number,
  embedded?: EmbeddedSets,
): Promise<WorkloadResult> {
  const { statements, workload } = data;
  {
    // dbsage at every budget (HypoPG what-if).
    const runs: { percent: number; result: AdvisorResult; loadavg: number[] }[] = [];
    for (const percent of options.budgets) {
      log(`  dbsage: budget ${percent} % (load ${load().join(' ')})`);
      const before = load();
      const result = await adviseIndexes(client, workload, {
        budget: { kind: 'fraction', fraction: percent / 100 },
        engine: 'hypopg',
        timeLimitMillis: options.timeLimitSeconds * 1000,
      });
      log(
        `    ${result.recommendations.length} indexes, ${(result.wallMillis / 1000).toFixed(1)} s, ${result.whatIfCalls} what-if calls${result.timedOut ? ' (time limit)' : ''}`,
      );
      runs.push({ percent, result, loadavg: before });
    }
    const dataBytes = runs[0]!.result.dataBytes;

    // Baselines (their full advice once; each budget takes a prefix by benefit).
    log('  dexter-like baseline');
    const dexter = await dexterLike(admin, statements);
    log(`    ${dexter.indexes.length} indexes proposed, ${(dexter.wallMillis / 1000).toFixed(1)} s`);
    log('  supabase-like baseline');
    const supabase = await supabaseLike(admin, statements);
    log(`    ${supabase.indexes.length} indexes proposed, ${(supabase.wallMillis / 1000).toFixed(1)} s`);

    const sets = new Map<string, { set: IndexCandidate[]; estimated: number; sizes: number[] }>();
    // Every index a baseline proposes is built too: its real size gives the baselines' sensitivity run.
    const proposals = [...dexter.indexes, ...supabase.indexes].map((x) => x.candidate);
    const key = (m: Method, p: number) => `${m}@${p}`;
    const take = (b: BaselineResult, budget: number) => {
      const chosen = underBudget(b.indexes, budget);
      return {
        set: chosen.map((x) => x.candidate),
        estimated: chosen.reduce((a, x) => a + x.sizeBytes, 0),
        sizes: chosen.map((x) => x.sizeBytes),
      };
    };
    for (const { percent, result } of runs) {
      const budget = result.budgetBytes!;
      sets.set(key('dbsage', percent), {
        set: result.recommendations.map((r) => r.candidate),
        estimated: result.recommendations.reduce((a, r) => a + r.sizeBytes, 0),
        sizes: result.recommendations.map((r) => r.sizeBytes),
      });
      sets.set(key('dexter', percent), take(dexter, budget));
      sets.set(key('supabase', percent), take(supabase, budget));
    }

    // Real indexes: build the union once, cost every set.
    const bench = new RealIndexBench(admin);
    log('  building the real indexes of every set');
    const embeddedSets = [...(embedded?.values() ?? [])].map((e) => e.set);
    const buildMillis = await bench.build(
      [...[...sets.values()].map((s) => s.set), proposals, ...embeddedSets],
      (label) => log(`    ${label}`),
    );
    const base = await bench.cost([], statements);
    const memo = new Map<string, SetCost>();
    const costOf = async (set: IndexCandidate[]) => {
      const k = set
        .map((c) => c.id)
        .sort()
        .join('\n');
      let c = memo.get(k);
      if (!c) {
        c = await bench.cost(set, statements);
        memo.set(k, c);
      }
      return c;
    };
    const budgets: BudgetResult[] = [];
    for (const { percent, result, loadavg: la } of runs) {
      const methods = {} as Record<Method, MethodAtBudget>;
      for (const m of METHODS) {
        const s = sets.get(key(m, percent))!;
        const c = await costOf(s.set);
        let rcWithRealSizes: number | undefined;
        if (m !== 'dbsage') {
          // Sensitivity: the baseline budgeted with the built sizes instead of HypoPG's estimates.
          const exact = underBudget(
            (m === 'dexter' ? dexter : supabase).indexes.map((x) => ({ ...x, sizeBytes: bench.bytes([x.candidate]) })),
            result.budgetBytes!,
          );
          rcWithRealSizes = round((await costOf(exact.map((x) => x.candidate))).cost / base.cost, 6);
        }
        methods[m] = {
          ...(rcWithRealSizes === undefined ? {} : { rcWithRealSizes }),
          indexes: s.set.map((x, i) => ({
            index: x.id,
            estimatedBytes: s.sizes[i]!,
            realBytes: bench.bytes([x]),
          })),
          count: s.set.length,
          estimatedBytes: s.estimated,
          realBytes: c.bytes,
          rc: round(c.cost / base.cost, 6),
          cost: round(c.cost, 2),
          statementsServed: c.statements.filter((x) => x.indexes.length > 0).length,
        };
      }
      const e = embedded?.get(percent);
      let embeddedAt: EmbeddedAtBudget | undefined;
      if (e) {
        const c = await costOf(e.set);
        embeddedAt = {
          rc: round(c.cost / base.cost, 6),
          count: e.set.length,
          realBytes: c.bytes,
          indexes: e.set.map((x) => x.id),
          wallMillis: Math.round(e.wallMillis),
          whatIfCalls: e.whatIfCalls,
          loadavg: e.loadavg,
        };
      }
      budgets.push({
        percent,
        budgetBytes: result.budgetBytes!,
        methods,
        ...(embeddedAt ? { embedded: embeddedAt } : {}),
        advisor: {
          wallMillis: Math.round(result.wallMillis),
          whatIfCalls: result.whatIfCalls,
          candidates: result.candidatesConsidered,
          timedOut: result.timedOut,
          predictedRc: round(result.curve[result.curve.length - 1]?.relativeCost ?? 1, 6),
          loadavg: la,
        },
      });
    }

    // Measured workload time: without new indexes and with dbsage's set at the --measure budgets.
    const measured: WorkloadResult['measured'] = [];
    const timeout = options.timeoutSeconds * 1000;
    const measureOne = async (label: string, percent: number | null, set: IndexCandidate[], method?: Method) => {
      log(`  measuring workload time: ${label} (load ${load().join(' ')})`);
      const t = await bench.time(set, statements, 3, timeout);
      measured.push({
        label,
        ...(method ? { method } : {}),
        percent,
        workloadMillis: round(t.millis, 2),
        timedOut: t.statements.filter((s) => s.timedOut).map((s) => s.id),
        perStatement: t.statements.map((s) => ({
          ...s,
          medianMillis: round(s.medianMillis, 3),
          runs: s.runs.map((r) => round(r, 3)),
        })),
      });
    };
    await measureOne('no new index', null, []);
    // The demo runs in seconds: every method is measured there; TPC-H measures dbsage's sets.
    const timed: readonly Method[] = name === 'demo' ? METHODS : ['dbsage'];
    for (const p of options.measure) {
      for (const m of timed) {
        const s = sets.get(key(m, p));
        if (s) await measureOne(`${m} @ ${p} %`, p, s.set, m);
      }
    }
    const notDominated: WorkloadResult['acceptance']['notDominated'] = [];
    for (const b of budgets) {
      for (const m of ['dexter', 'supabase'] as const) {
        if (b.methods.dbsage.rc <= b.methods[m].rc + 1e-9) continue;
        // Which of the baseline's indexes gives it the edge: leave out, one at a time, those dbsage did not choose.
        const set = sets.get(key(m, b.percent))!.set;
        const mine = new Set(sets.get(key('dbsage', b.percent))!.set.map((c) => c.id));
        const leaveOneOut: { index: string; rcWithout: number }[] = [];
        for (const c of set.filter((x) => !mine.has(x.id))) {
          const without = (await costOf(set.filter((x) => x !== c))).cost / base.cost;
          leaveOneOut.push({ index: c.id, rcWithout: round(without, 6) });
        }
        leaveOneOut.sort((x, y) => y.rcWithout - x.rcWithout);
        // Is the edge real? Measured workload time of the baseline's set, of it without that index, and of dbsage's
        // set (not on the 22-query TPC-H, whose Q17/Q20 run for minutes without their index).
        let measuredEdge: { baselineMillis: number; withoutEdgeMillis: number; dbsageMillis: number } | undefined;
        const edge = leaveOneOut[0];
        if (edge && name !== 'tpch' && options.measureEdge) {
          log(`  measuring the edge of ${m} at ${b.percent} %: ${edge.index}`);
          const t = (s: IndexCandidate[]) => bench.time(s, statements, 3, options.timeoutSeconds * 1000);
          measuredEdge = {
            baselineMillis: round((await t(set)).millis, 2),
            withoutEdgeMillis: round((await t(set.filter((x) => x.id !== edge.index))).millis, 2),
            dbsageMillis: round((await t(sets.get(key('dbsage', b.percent))!.set)).millis, 2),
          };
        }
        notDominated.push({
          percent: b.percent,
          method: m,
          dbsage: b.methods.dbsage.rc,
          other: b.methods[m].rc,
          leaveOneOut: leaveOneOut.slice(0, 3),
          ...(measuredEdge ? { measuredEdge } : {}),
        });
      }
    }
    await bench.dropAll();
    const description =
      name !== 'demo'
        ? `TPC-H SF ${options.sf} (generated here, seed ${options.seed}): ${Object.entries(tpchRowCounts(options.sf))
            .map(([t, n]) => `${t} ${n}`)
            .join(', ')}, lineitem ≈ 4 × orders; ${
            name === 'tpch' ? 'all 22 queries' : `19 queries (without ${TPCH_LEFT_OUT.join(', ')})`
          }, one call each`
        : `demo schema at scale ${options.demoScale}, ${statements.length} statements replayed (${statements.reduce((a, s) => a + s.calls, 0)} calls)`;
    return {
      name,
      description,
      dataBytes,
      loadMillis: Math.round(loadMillis),
      statements: statements.map((s) => ({ id: s.id, calls: s.calls, sql: s.sql })),
      baselines: {
        dexter: {
          proposed: dexter.indexes.length,
          whatIfCalls: dexter.whatIfCalls,
          wallMillis: Math.round(dexter.wallMillis),
        },
        supabase: {
          proposed: supabase.indexes.length,
          whatIfCalls: supabase.whatIfCalls,
          wallMillis: Math.round(supabase.wallMillis),
        },
      },
      realIndexBuildMillis: Math.round(buildMillis),
      buildErrors: bench.buildErrors,
      costWithout: round(base.cost, 2),
      budgets,
      measured,
      acceptance: {
        dominatesEveryBudget: notDominated.length === 0,
        notDominated,
        maxAdvisorWallMillis: Math.max(...budgets.map((b) => b.advisor.wallMillis)),
        overBudget: budgets.flatMap((b) =>
          METHODS.filter((m) => b.methods[m].realBytes > b.budgetBytes).map((m) => ({
            percent: b.percent,
            method: m,
            realBytes: b.methods[m].realBytes,
            budgetBytes: b.budgetBytes,
          })),
        ),
      },
    };
  }
}

function printTable(w: WorkloadResult): void {
  const lines: string[] = [];
  lines.push(`\n${w.name}: ${w.description}; data ${mb(w.dataBytes)} MB; cost without new indexes ${w.costWithout}`);
  lines.push(
    'budget  | dbsage RC (idx, MB)      | dexter RC (idx, MB)      | supabase RC (idx, MB)    | advisor s | what-if calls | load',
  );
  lines.push(
    '--------|--------------------------|--------------------------|--------------------------|-----------|---------------|------',
  );
  const cell = (m: MethodAtBudget) => `${m.rc.toFixed(4)} (${m.count}, ${mb(m.realBytes)})`.padEnd(24);
  for (const b of w.budgets) {
    lines.push(
      `${`${b.percent} %`.padEnd(7)} | ${cell(b.methods.dbsage)} | ${cell(b.methods.dexter)} | ${cell(b.methods.supabase)} | ${(b.advisor.wallMillis / 1000).toFixed(1).padStart(9)} | ${String(b.advisor.whatIfCalls).padStart(13)} | ${b.advisor.loadavg[0]}`,
    );
  }
  for (const e of w.buildErrors) lines.push(`could not build ${e.index}: ${e.error}`);
  for (const o of w.acceptance.overBudget) {
    lines.push(
      `over budget: ${o.method} at ${o.percent} % built ${mb(o.realBytes)} MB for a ${mb(o.budgetBytes)} MB budget`,
    );
  }
  if (w.budgets.some((b) => b.embedded)) {
    lines.push(
      `dbsage on embedded PGlite (real-index what-if), RC by budget: ${w.budgets
        .map((b) =>
          b.embedded
            ? `${b.percent} %: ${b.embedded.rc.toFixed(4)} (${b.embedded.count} idx, ${(b.embedded.wallMillis / 1000).toFixed(1)} s)`
            : `${b.percent} %: -`,
        )
        .join('; ')}`,
    );
  }
  for (const m of w.measured) {
    lines.push(
      `measured workload time, ${m.label}: ${(m.workloadMillis / 1000).toFixed(3)} s${m.timedOut.length ? ` (timed out at ${options.timeoutSeconds} s: ${m.timedOut.join(', ')})` : ''}`,
    );
  }
  lines.push(
    `dbsage dominates both baselines at every budget: ${w.acceptance.dominatesEveryBudget ? 'yes' : `no (${w.acceptance.notDominated.map((n) => `${n.percent} % vs ${n.method}: ${n.dbsage} > ${n.other}${n.leaveOneOut[0] ? ` [its edge: ${n.leaveOneOut[0].index}, ${n.leaveOneOut[0].rcWithout} without it${n.measuredEdge ? `; measured ${(n.measuredEdge.baselineMillis / 1000).toFixed(3)} s, ${(n.measuredEdge.withoutEdgeMillis / 1000).toFixed(3)} s without it, dbsage ${(n.measuredEdge.dbsageMillis / 1000).toFixed(3)} s` : ''}]` : ''}`).join('; ')})`}; max advisor wall time ${(w.acceptance.maxAdvisorWallMillis / 1000).toFixed(1)} s`,
  );
  console.log(lines.join('\n'));
}

/** The results file's chart: one panel per workload, one line per method. */
function chartOf(out: {
  options: typeof options;
  generatedAt: string;
  server: string;
  workloads: WorkloadResult[];
}): string {
  const colors: Record<Method, string> = { dbsage: '#2563eb', dexter: '#d97706', supabase: '#16a34a' };
  const labels: Record<Method, string> = { dbsage: 'dbsage', dexter: 'Dexter-like', supabase: 'supabase-like' };
  const o = out.options;
  return renderChart(
    out.workloads.map((w) => ({
      title:
        w.name === 'tpch'
          ? `TPC-H SF ${o.sf}, 22 queries`
          : w.name === 'tpch19'
            ? `TPC-H SF ${o.sf}, without Q2, Q17, Q20`
            : `demo workload (scale ${o.demoScale})`,
      series: [
        ...METHODS.map((m) => ({
          label: labels[m],
          color: colors[m],
          ...(m === 'dbsage' ? {} : { dash: m === 'dexter' ? '6 3' : '2 2' }),
          points: w.budgets.map((b) => ({ x: b.percent, y: b.methods[m].rc })),
        })),
        ...(w.budgets.every((b) => b.embedded)
          ? [
              {
                label: 'dbsage (embedded)',
                color: '#7c3aed',
                dash: '8 2 2 2',
                points: w.budgets.map((b) => ({ x: b.percent, y: b.embedded!.rc })),
              },
            ]
          : []),
      ],
    })),
    o.budgets,
    `RC = planner cost with the set's real indexes / without; ${/PostgreSQL [\d.]+/.exec(out.server)?.[0] ?? 'PostgreSQL'}, HypoPG what-if${
      out.workloads.some((w) => w.budgets.some((b) => b.embedded)) ? ' (and PGlite for the demo)' : ''
    }; ${out.generatedAt.slice(0, 10)}`,
  );
}

async function main(): Promise<void> {
  const startedLoad = load();
  const started = performance.now();
  const server = await startPostgres();
  const results: WorkloadResult[] = [];
  try {
    const version = new pg.Client({ connectionString: server.adminUrl });
    await version.connect();
    const v = (await version.query<{ v: string }>('SELECT current_setting($$server_version$$) AS v')).rows[0]!.v;
    await version.end();
    log(`throwaway PostgreSQL ${v} on port ${server.port}`);
    for (const w of options.workloads) {
      if (w !== 'demo' && w !== 'tpch' && w !== 'tpch19') throw new Error(`unknown workload ${w}`);
    }
    results.push(...(await runAll(server.adminUrl)));
    mkdirSync(resultsDir, { recursive: true });
    const out = {
      benchmark: 'advisor',
      generatedAt: new Date().toISOString(),
      command: `npm run bench:advisor -- ${process.argv.slice(2).join(' ')}`.trim(),
      options,
      machine: { cpus: cpus().length, loadavgStart: startedLoad, loadavgEnd: load() },
      server: `PostgreSQL ${v} (throwaway, test/support/postgres.ts) with HypoPG`,
      method: {
        rc: 'Σ calls × EXPLAIN total cost with the set, divided by the same without new indexes; real indexes built once, ANALYZEd, a set shown to the planner by marking the others not valid in a rolled-back transaction',
        budget:
          'bytes = percent × data size (heap + TOAST of the tables); each method budgets with its own size estimates (HypoPG, or the advisor’s GIN model); realBytes is the on-disk size of the built set',
        baselines: 'bench/advisor/baselines.ts: indexes taken by decreasing benefit while they fit the budget',
        measured: 'one warm-up then the median of 3 runs per statement, weighted by calls',
      },
      wallSeconds: round((performance.now() - started) / 1000, 1),
      workloads: results,
    };
    if (!/^advisor[\w-]*$/.test(options.name)) throw new Error(`--name must start with "advisor": ${options.name}`);
    writeFileSync(join(resultsDir, `${options.name}.json`), `${JSON.stringify(out, null, 2)}\n`);
    const svg = chartOf(out);
    writeFileSync(join(resultsDir, `${options.name}.svg`), svg);
    log(`\nwrote bench/results/${options.name}.json and .svg (${out.wallSeconds} s)`);
  } finally {
    await server.stop();
  }
}

// `--render FILE.json` redraws the chart of an existing results file (next to it, as .svg) without running.
const render = arg('render', '');
if (render) {
  const out = JSON.parse(readFileSync(render, 'utf8'));
  writeFileSync(render.replace(/\.json$/, '.svg'), chartOf(out));
  log(`wrote ${render.replace(/\.json$/, '.svg')}`);
} else {
  await main();
}
