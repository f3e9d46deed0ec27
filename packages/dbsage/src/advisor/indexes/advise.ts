import { readCatalog } from '../../catalog/introspect.js';
import type { Catalog } from '../../catalog/types.js';
import type { PgClient } from '../../engines/postgres/client.js';
import { CapabilityError } from '../../errors.js';
import type { Workload } from '../../workload/types.js';
import { candidateDdl, extensionsFor, type IndexCandidate } from './candidate.js';
import { type CandidateOptions, generateCandidates } from './candidates.js';
import { WorkloadEvaluator } from './evaluator.js';
import { type DropCandidate, findDropCandidates } from './existing.js';
import { HypopgSession } from './hypopg-engine.js';
import { type Budget, budgetBytes } from './options.js';
import { describeAccess, indexesUsed } from './plan.js';
import { RealIndexSession } from './real-index-engine.js';
import { entryWidthFraction, extendsCandidate, type SearchResult, searchIndexes } from './search.js';
import { type AdvisorStatement, prepareWorkload } from './statements.js';
import type { CostSource, WhatIfEngineKind, WhatIfSession } from './what-if.js';

/**
 * The index advisor: prepare the workload, generate candidates, cost them what-if, select a set across the whole
 * workload, and explain every decision (served statements with before/after costs and plan nodes, drop
 * candidates, a reason code for each statement left without a recommendation). Read-only on servers: HypoPG in
 * a pinned read-only session, or real indexes in a transaction that is always rolled back (embedded or
 * `--scratch`).
 */

/** Why a statement got no recommendation. */
export const NO_RECOMMENDATION_REASONS = [
  'low-cost',
  'already-indexed',
  'no-selective-predicate',
  'budget-exhausted',
  'write-heavy-table',
  'unsupported-construct',
] as const;
export type NoRecommendationReason = (typeof NO_RECOMMENDATION_REASONS)[number];

/** Runtime check for a reason code. */
export function isNoRecommendationReason(value: unknown): value is NoRecommendationReason {
  return typeof value === 'string' && (NO_RECOMMENDATION_REASONS as readonly string[]).includes(value);
}

/** Advisor options, with documented defaults. */
export interface AdviseOptions extends CandidateOptions {
  /** Storage budget for new indexes (default: none). */
  budget?: Budget;
  /** Model index maintenance on writes and protect HOT updates (default false). */
  writeAware?: boolean;
  /** Wall-clock limit of the search, ms (default 60 000). */
  timeLimitMillis?: number;
  /** What-if engine: `auto` = real indexes on embedded, HypoPG on a server (default `auto`). */
  engine?: 'auto' | WhatIfEngineKind;
  /** Allow the real-index engine on a server (a scratch copy: it takes locks while building). Default false. */
  scratch?: boolean;
  /** A statement cheaper than this (planner cost units) is `low-cost` (default 20). */
  minStatementCost?: number;
  /** Minimum gain of a search move, as a fraction of the workload weight the current set leaves (default 0.002). */
  minGainFraction?: number;
  /**
   * Under a budget, leftover storage is filled with indexes gaining at least this fraction of the total workload
   * weight, below `minGainFraction` (default 0.0001; 0 turns the fill off). See search.ts, step 3.
   */
  fillMinGainFraction?: number;
  /** A served statement must get at least this much cheaper (fraction, default 0.1). */
  minImprovement?: number;
  /** A catalog already read (skips introspection). */
  catalog?: Catalog;
  onProgress?: (label: string, fraction?: number) => void;
  signal?: AbortSignal;
}

/** A statement's before/after under the recommended set. */
export interface StatementOutcome {
  id: string;
  query: string;
  calls: number;
  /** Weight in the objective (total time ms, or planner cost when the workload has no timings). */
  weight: number;
  paramSource: AdvisorStatement['paramSource'];
  costBefore: number | null;
  costAfter: number | null;
  genericCostBefore: number | null;
  genericCostAfter: number | null;
  /** Plan access per table before → after, e.g. `Seq Scan on users` → `Index Scan using … on users`. */
  planBefore: string[];
  planAfter: string[];
  /** Recommended indexes the final plan uses. */
  servedBy: string[];
  reason: NoRecommendationReason | null;
  reasonDetail: string | null;
}

/** One recommended index. */
export interface Recommendation {
  candidate: IndexCandidate;
  ddl: string;
  sizeBytes: number;
  sizeSource: 'built' | 'hypopg' | 'model';
  costSource: CostSource;
  /** Statements whose final plan uses it. */
  statements: StatementOutcome[];
  /** Σ over served statements of weight × (1 − after/before): predicted workload saving (objective units). */
  predictedGain: number;
  /** What the objective loses if only this index is left out of the set. */
  marginalGain: number;
  /** Workload cost relative to no new index after adding the indexes up to this one (the cumulative curve). */
  cumulativeRelativeCost: number;
  cumulativeBytes: number;
  /** Accepted by the index-only widening rule: the gain shows once VACUUM sets the visibility map. */
  indexOnlyAfterVacuum: boolean;
  /** Taken only to use the budget: it gains less than the advisor's threshold (`minGainFraction`). */
  belowThreshold: boolean;
}

/** The advisor's result. */
export interface AdvisorResult {
  engine: WhatIfEngineKind;
  serverVersionNum: number;
  unit: 'ms' | 'cost';
  recommendations: Recommendation[];
  statements: StatementOutcome[];
  drops: DropCandidate[];
  /** Relative workload cost after each recommendation, in order (1 = no new index). */
  curve: { indexes: number; bytes: number; relativeCost: number }[];
  candidatesConsidered: number;
  /** Candidates that could not be built or simulated, with the reason. */
  candidateErrors: { name: string; error: string }[];
  whatIfCalls: number;
  wallMillis: number;
  dataBytes: number;
  budgetBytes: number | null;
  timedOut: boolean;
  /** Why nothing is recommended (null when something is). */
  emptyReason: string | null;
  /** Extensions the recommended indexes need that the database does not have yet (`pg_trgm` for trigram GIN). */
  requiredExtensions: string[];
  catalog: Catalog;
  /** Prepared statements (for --verify). */
  prepared: AdvisorStatement[];
}

/** `relallvisible / relpages` per table the candidates are on (how much of the visibility map is set). */
async function visibleFractions(
  session: WhatIfSession,
  catalog: Catalog,
  cands: ReadonlyMap<string, IndexCandidate>,
): Promise<Map<string, number>> {
  const oids = new Set<number>();
  for (const c of cands.values()) {
    const t = catalog.tables.find((x) => x.name === c.table && x.schema === c.schema);
    if (t) oids.add(t.oid);
  }
  const out = new Map<string, number>();
  if (oids.size === 0) return out;
  const r = await session.query<{ schema: string; name: string; fraction: number }>(
    `SELECT n.nspname AS schema, c.relname AS name,
            CASE WHEN c.relpages > 0 THEN c.relallvisible::float8 / c.relpages ELSE 0 END AS fraction
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ANY($1::oid[])`,
    [[...oids]],
  );
  for (const row of r.rows) out.set(`${row.schema}.${row.name}`, Number(row.fraction));
  return out;
}

/** Sum of heap + TOAST bytes of ordinary tables: the "data size" budgets are relative to. */
export function dataSizeBytes(catalog: Catalog): number {
  return catalog.tables.filter((t) => t.kind === 'table').reduce((a, t) => a + t.heapBytes + t.toastBytes, 0);
}

/** Runs the advisor on a client and a workload. */
export async function adviseIndexes(
  client: PgClient,
  workload: Workload,
  options: AdviseOptions = {},
): Promise<AdvisorResult> {
  const started = performance.now();
  const progress = options.onProgress ?? (() => undefined);
  progress('reading catalog');
  const catalog =
    options.catalog ?? (await client.transaction((tx) => readCatalog(tx), { statementTimeoutMillis: 60_000 }));
  const engine: WhatIfEngineKind =
    options.engine && options.engine !== 'auto'
      ? options.engine
      : client.kind === 'embedded' || options.scratch
        ? 'real-index'
        : 'hypopg';
  if (engine === 'real-index' && client.kind === 'server' && !options.scratch) {
    throw new CapabilityError(
      'the real-index what-if engine builds indexes (taking locks) and is only allowed on a scratch server: pass --scratch, or install hypopg',
    );
  }
  const prepared = await prepareWorkload(workload, catalog);
  const candidateSet = generateCandidates(prepared, catalog, options);
  const candidates = candidateSet.candidates;
  const run = async (session: WhatIfSession) =>
    evaluate(
      session,
      catalog,
      prepared,
      candidates,
      candidateSet.perStatement,
      candidateSet.fallbacks,
      options,
      progress,
    );

  let out: Omit<AdvisorResult, 'wallMillis'>;
  if (engine === 'hypopg') {
    const session = await client.pin({ readOnly: true, statementTimeoutMillis: 30_000 });
    let hypo: HypopgSession | undefined;
    try {
      try {
        hypo = await HypopgSession.open(session, catalog, catalog.serverVersionNum);
      } catch (error) {
        throw new CapabilityError(
          `hypopg is needed for what-if costing on a server: CREATE EXTENSION hypopg (package postgresql-NN-hypopg), or run on a scratch copy with --scratch (${error instanceof Error ? error.message : String(error)})`,
        );
      }
      out = await run(hypo);
    } finally {
      await hypo?.reset();
      await session.release();
    }
  } else {
    out = await client.transaction(async (tx) => run(new RealIndexSession(tx, catalog.serverVersionNum)), {
      readOnly: false,
      rollback: true,
      statementTimeoutMillis: 600_000,
    });
  }
  return { ...out, wallMillis: performance.now() - started };

  async function evaluate(
    session: WhatIfSession,
    cat: Catalog,
    statements: AdvisorStatement[],
    cands: Map<string, IndexCandidate>,
    perStatement: ReturnType<typeof generateCandidates>['perStatement'],
    fallbacks: ReadonlySet<string>,
    o: AdviseOptions,
    onProgress: (label: string, fraction?: number) => void,
  ): Promise<Omit<AdvisorResult, 'wallMillis'>> {
    // Covering variants of another candidate are registered only when the search tries to widen to them, and
    // only when they can pay off: the visibility map is mostly set (the planner sees the index-only gain) or the
    // entry stays under half a heap row (the widening rule).
    const vm = await visibleFractions(session, cat, cands);
    // Read before any what-if build: the real-index engine creates missing extensions inside its transaction.
    const installedExtensions = await extensionsInstalled(session);
    const deferred = new Set<string>();
    for (const c of [...cands.values()]) {
      if (!c.kinds.includes('covering')) continue;
      const narrow = [...cands.values()].some(
        (n) => n.include.length === 0 && !fallbacks.has(n.id) && extendsCandidate(n, c),
      );
      if (!narrow) continue;
      if ((vm.get(`${c.schema}.${c.table}`) ?? 0) >= 0.5 || entryWidthFraction(c, cat) <= 0.5) deferred.add(c.id);
      else cands.delete(c.id);
    }
    // Fallback prefixes are registered only when the search opens one (a composite did not fit the budget).
    const eager = [...cands.values()].filter((c) => !deferred.has(c.id) && !fallbacks.has(c.id));
    onProgress(`building ${eager.length} candidate indexes (${session.engine})`, 0);
    await session.register(eager, (d, t) => onProgress(`what-if indexes (${session.engine})`, t ? d / t : 1));
    const candidateErrors: { name: string; error: string }[] = [];
    for (const c of cands.values()) {
      const err = session.info(c.id)?.error;
      if (err) candidateErrors.push({ name: c.name, error: err });
    }
    const costable = statements.filter((s) => !s.unsupported && s.model.kind !== 'insert');
    const ev = new WorkloadEvaluator(session, cat, cands, costable, statements);
    onProgress('costing the workload');
    await ev.init(o.writeAware ?? false, o.minStatementCost ?? 20);
    const dataBytes = dataSizeBytes(cat);
    const budget = budgetBytes(o.budget, dataBytes);
    const search: SearchResult = await searchIndexes(ev, cands, cat, {
      budgetBytes: budget,
      timeLimitMillis: o.timeLimitMillis ?? 60_000,
      minGainFraction: o.minGainFraction ?? 0.002,
      fillMinGainFraction: o.fillMinGainFraction ?? 0.0001,
      fillMinStatementImprovement: o.minImprovement ?? 0.1,
      writeAware: o.writeAware ?? false,
      statementCandidates: new Map([...perStatement].map(([k, v]) => [k, v.candidateIds])),
      deferred,
      fallbacks,
      ensure: async (ids) => {
        await session.register(ids.map((id) => cands.get(id)!));
        for (const id of ids) {
          const err = session.info(id)?.error;
          if (err) candidateErrors.push({ name: cands.get(id)!.name, error: err });
        }
      },
      onProgress,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    onProgress('explaining the recommendations');
    const chosen = search.chosen;
    const minImprovement = o.minImprovement ?? 0.1;
    const indexTable = (name: string) => {
      const id = session.candidateForIndex(name);
      if (id) return cands.get(id)?.table;
      for (const t of cat.tables) if (t.indexes.some((i) => i.name === name)) return t.name;
      return undefined;
    };
    const outcomes: StatementOutcome[] = [];
    for (const st of statements) {
      const outcome: StatementOutcome = {
        id: st.id,
        query: st.query,
        calls: st.calls,
        weight: 0,
        paramSource: st.paramSource,
        costBefore: null,
        costAfter: null,
        genericCostBefore: null,
        genericCostAfter: null,
        planBefore: [],
        planAfter: [],
        servedBy: [],
        reason: null,
        reasonDetail: null,
      };
      outcomes.push(outcome);
      if (st.unsupported || !ev.statements.includes(st)) {
        outcome.reason = st.model.kind === 'insert' ? 'low-cost' : 'unsupported-construct';
        outcome.reasonDetail = st.unsupported ?? ev.failures.get(st.id) ?? 'not costable';
        continue;
      }
      const before = ev.baseline(st);
      const after = await ev.plan(st, chosen);
      outcome.weight = ev.weight(st);
      outcome.costBefore = before.totalCost;
      outcome.costAfter = after.totalCost;
      if (st.paramCount > 0) {
        outcome.genericCostBefore = await ev.genericCost(st, []);
        outcome.genericCostAfter = await ev.genericCost(st, chosen);
      }
      outcome.planBefore = st.tables.map((t) => describeAccess(before, t.name, indexTable));
      outcome.planAfter = st.tables.map((t) => describeAccess(after, t.name, indexTable));
      const used = indexesUsed(after)
        .map((n) => session.candidateForIndex(n))
        .filter((id): id is string => id !== undefined && chosen.includes(id));
      const improved = after.totalCost <= before.totalCost * (1 - minImprovement);
      if (used.length > 0 && (improved || used.some((id) => search.indexOnlyWidened.has(id)))) {
        outcome.servedBy = used.map((id) => cands.get(id)!.name);
        continue;
      }
      const mine = perStatement.get(st.id);
      const candIds = mine?.candidateIds ?? [];
      const usesExisting = before.scans.some((x) => x.index !== null);
      if ((mine?.servedBy.length ?? 0) > 0) {
        outcome.reason = 'already-indexed';
        outcome.reasonDetail = `served by existing ${mine!.servedBy.join(', ')}${candIds.some((id) => search.budgetBlocked.has(id)) ? '; a smaller index on a key prefix would help but does not fit the budget' : ''}`;
      } else if (before.totalCost < (o.minStatementCost ?? 20)) {
        outcome.reason = 'low-cost';
        outcome.reasonDetail = `planner cost ${before.totalCost.toFixed(1)} is below ${o.minStatementCost ?? 20}`;
      } else if (candIds.some((id) => search.budgetBlocked.has(id))) {
        outcome.reason = 'budget-exhausted';
        outcome.reasonDetail = `an index would help but does not fit the ${budget ?? 0}-byte budget`;
      } else if (candIds.some((id) => search.writeRejected.has(id))) {
        outcome.reason = 'write-heavy-table';
        outcome.reasonDetail = 'the index would slow the workload’s writes (or break HOT updates) more than it saves';
      } else if (candIds.length === 0 && mine?.noSargable) {
        outcome.reason = 'no-selective-predicate';
        outcome.reasonDetail = 'no predicate, join or ORDER BY an index could use';
      } else if (usesExisting) {
        outcome.reason = 'already-indexed';
        outcome.reasonDetail = `the current plan already uses ${[...new Set(before.scans.map((s) => s.index).filter(Boolean))].join(', ')}`;
      } else if (ev.weight(st) < (o.minGainFraction ?? 0.002) * ev.totalWeight()) {
        outcome.reason = 'low-cost';
        outcome.reasonDetail = 'too small a share of the workload for an index to pay off';
      } else {
        outcome.reason = 'no-selective-predicate';
        outcome.reasonDetail =
          'no candidate made the statement at least 10 % cheaper (the predicates are not selective)';
      }
    }
    // Recommendations in order, with the cumulative curve.
    const total = ev.totalWeight();
    const recommendations: Recommendation[] = [];
    const curve: AdvisorResult['curve'] = [{ indexes: 0, bytes: 0, relativeCost: 1 }];
    const full = await ev.objective(chosen);
    let bytes = 0;
    for (const [i, id] of chosen.entries()) {
      const c = cands.get(id)!;
      const info = session.info(id)!;
      const prefix = chosen.slice(0, i + 1);
      const value = await ev.objective(prefix);
      const without = await ev.objective(chosen.filter((x) => x !== id));
      bytes += info.sizeBytes;
      const served = outcomes.filter((s) => s.servedBy.includes(c.name));
      const predictedGain = served.reduce(
        (a, s) =>
          a + s.weight * (1 - Math.min(s.costAfter ?? 0, s.costBefore ?? 0) / Math.max(1e-9, s.costBefore ?? 1)),
        0,
      );
      const relativeCost = total > 0 ? 1 - value / total : 1;
      curve.push({ indexes: i + 1, bytes, relativeCost });
      recommendations.push({
        candidate: c,
        ddl: candidateDdl(c),
        sizeBytes: info.sizeBytes,
        sizeSource: info.sizeSource,
        costSource: info.costSource,
        statements: served,
        predictedGain,
        marginalGain: full - without,
        cumulativeRelativeCost: relativeCost,
        cumulativeBytes: bytes,
        indexOnlyAfterVacuum: search.indexOnlyWidened.has(id),
        belowThreshold: search.belowThreshold.has(id),
      });
    }
    const drops = findDropCandidates(
      cat,
      chosen.map((id) => cands.get(id)!),
    );
    const emptyReason = chosen.length > 0 ? null : whyEmpty(search, total, budget, o, costable.length, ev.unit);
    const requiredExtensions = [...new Set(chosen.flatMap((id) => extensionsFor(cands.get(id)!)))]
      .filter((e) => !installedExtensions.has(e))
      .sort();
    return {
      engine: session.engine,
      serverVersionNum: cat.serverVersionNum,
      unit: ev.unit,
      recommendations,
      statements: outcomes,
      drops,
      curve,
      candidatesConsidered: cands.size,
      candidateErrors,
      whatIfCalls: session.explainCalls,
      dataBytes,
      budgetBytes: budget,
      timedOut: search.timedOut,
      emptyReason,
      requiredExtensions,
      catalog: cat,
      prepared: statements,
    };
  }
}

/** Extensions installed in the session's database. */
async function extensionsInstalled(session: WhatIfSession): Promise<Set<string>> {
  const r = await session.query<{ extname: string }>('SELECT extname FROM pg_extension');
  return new Set(r.rows.map((x) => x.extname));
}

/** The reason an empty recommendation is given, in words. */
function whyEmpty(
  search: SearchResult,
  total: number,
  budget: number | null,
  o: AdviseOptions,
  costable: number,
  unit: 'ms' | 'cost',
): string {
  if (costable === 0 || total <= 0) return 'no statement of the workload is costly enough for an index to pay off';
  const pct = (x: number) => `${((100 * x) / total).toPrecision(2)} %`;
  if (search.budgetBlocked.size > 0)
    return `every index that would help is larger than what is left of the ${budget ?? 0}-byte budget`;
  if (search.bestRejectedGain > 0) {
    const floor = budget !== null ? (o.fillMinGainFraction ?? 0.0001) : (o.minGainFraction ?? 0.002);
    return `the best index found saves ${pct(search.bestRejectedGain)} of the workload (${unit}), below the ${(100 * floor).toPrecision(2)} % minimum${budget === null ? ' (a --budget lowers it to use the storage given)' : `, and makes no statement ${Math.round(100 * (o.minImprovement ?? 0.1))} % cheaper`}`;
  }
  if (search.writeRejected.size > 0)
    return 'the indexes that would help cost the workload’s writes more than they save';
  if (search.timedOut) return 'the time limit ran out before an index was found';
  return 'no candidate index lowers the workload cost';
}
