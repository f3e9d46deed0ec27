import { findTable } from '../../catalog/lookup.js';
import type { Catalog, Table } from '../../catalog/types.js';
import { candidateColumns, type IndexCandidate } from './candidate.js';
import type { PlanSummary } from './plan.js';
import type { AdvisorStatement } from './statements.js';
import { NoRepresentativeParams, type PlanMode, type WhatIfSession } from './what-if.js';

/**
 * The workload objective over what-if plans, memoised per (statement, mode, candidates on the statement's
 * tables): a statement's cost only depends on the indexes of the tables it reads, so most configurations the
 * search tries are answered from the memo.
 *
 * Objective of a configuration C: Σ_s w_s · (1 − cost_s(C) / cost_s(∅)) − maintenance(C), where w_s is the
 * statement's total time in the workload (calls × mean). It reads as "workload milliseconds saved". When the
 * workload has no timings (a .sql file), w_s = calls × cost_s(∅) and the objective is in planner cost units.
 */
export class WorkloadEvaluator {
  readonly #session: WhatIfSession;
  readonly #candidates: ReadonlyMap<string, IndexCandidate>;
  readonly #memo = new Map<string, Promise<PlanSummary>>();
  readonly #baseline = new Map<string, PlanSummary>();
  readonly #weights = new Map<string, number>();
  readonly #writes: readonly AdvisorStatement[];
  readonly #catalog: Catalog;
  /** Statements that could be costed (baseline EXPLAIN succeeded). */
  statements: AdvisorStatement[] = [];
  /** Statements whose baseline EXPLAIN failed, with the error. */
  readonly failures = new Map<string, string>();
  /** Weight unit: workload milliseconds, or planner cost when the workload carries no timings. */
  unit: 'ms' | 'cost' = 'ms';
  #writeAware = false;

  constructor(
    session: WhatIfSession,
    catalog: Catalog,
    candidates: ReadonlyMap<string, IndexCandidate>,
    statements: readonly AdvisorStatement[],
    allStatements: readonly AdvisorStatement[],
  ) {
    this.#session = session;
    this.#catalog = catalog;
    this.#candidates = candidates;
    this.statements = [...statements];
    this.#writes = allStatements.filter((s) => s.model.write !== null);
  }

  /** The mode a statement is costed with in the search: its representative constants when it has them. */
  static primaryMode(st: AdvisorStatement): PlanMode {
    return st.params !== null ? 'representative' : 'generic';
  }

  /**
   * Runs every baseline and fixes the weights. A statement whose plan costs less than `minStatementCost` gets
   * weight 0: it is already cheap, and no index should be built for it.
   */
  async init(writeAware: boolean, minStatementCost = 0): Promise<void> {
    this.#writeAware = writeAware;
    const ok: AdvisorStatement[] = [];
    for (const st of this.statements) {
      try {
        this.#baseline.set(st.id, await this.plan(st, []));
        ok.push(st);
      } catch (error) {
        this.failures.set(st.id, error instanceof Error ? error.message : String(error));
      }
    }
    this.statements = ok;
    const timed = ok.length > 0 && ok.every((s) => s.totalTimeMillis > 0);
    this.unit = timed ? 'ms' : 'cost';
    for (const st of ok) {
      const base = this.#baseline.get(st.id)!.totalCost;
      const w = timed ? st.totalTimeMillis : Math.max(1, st.calls) * base;
      this.#weights.set(st.id, base < minStatementCost ? 0 : w);
    }
  }

  weight(st: AdvisorStatement): number {
    return this.#weights.get(st.id) ?? 0;
  }

  totalWeight(): number {
    let t = 0;
    for (const w of this.#weights.values()) t += w;
    return t;
  }

  baseline(st: AdvisorStatement): PlanSummary {
    return this.#baseline.get(st.id)!;
  }

  /** Candidates of a configuration that sit on a statement's tables. */
  relevant(st: AdvisorStatement, config: Iterable<string>): IndexCandidate[] {
    const out: IndexCandidate[] = [];
    for (const id of config) {
      const c = this.#candidates.get(id);
      if (c && st.tables.some((t) => t.name === c.table && t.schema === c.schema)) out.push(c);
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The statement's plan with `config` available (memoised). */
  plan(
    st: AdvisorStatement,
    config: Iterable<string>,
    mode: PlanMode = WorkloadEvaluator.primaryMode(st),
  ): Promise<PlanSummary> {
    const rel = this.relevant(st, config);
    const key = `${st.id}\u0000${mode}\u0000${rel.map((c) => c.id).join('\u0001')}`;
    let p = this.#memo.get(key);
    if (!p) {
      p = this.#session.explain(st, rel, mode);
      this.#memo.set(key, p);
      p.catch(() => this.#memo.delete(key));
    }
    return p;
  }

  /** Generic-plan cost (null when the statement has no generic plan, e.g. parameter types cannot be inferred). */
  async genericCost(st: AdvisorStatement, config: Iterable<string>): Promise<number | null> {
    try {
      return (await this.plan(st, config, 'generic')).totalCost;
    } catch (error) {
      if (error instanceof NoRepresentativeParams) return null;
      return null;
    }
  }

  /** Σ w_s · (1 − cost_s(C)/cost_s(∅)) − maintenance(C). */
  async objective(config: readonly string[]): Promise<number> {
    let gain = 0;
    for (const st of this.statements) {
      const base = this.baseline(st).totalCost;
      if (base <= 0) continue;
      const cost = (await this.plan(st, config)).totalCost;
      gain += this.weight(st) * (1 - Math.min(cost, base) / base);
    }
    if (this.#writeAware) for (const id of config) gain -= this.maintenance(id).cost;
    return gain;
  }

  /**
   * Index maintenance a candidate adds to the workload's writes on its table, in objective units. Each INSERT
   * pays one index insertion, modelled as the statement's time shared among the table's indexes (existing ones
   * + this) times a method factor (GIN ×3 even with fastupdate, BRIN ×0.05: one summary tuple per range).
   * An UPDATE pays only when it sets a column the index covers: it then loses HOT (×2). DELETE pays nothing now
   * (VACUUM removes the entries later).
   */
  maintenance(candidateId: string): { cost: number; breaksHot: string[] } {
    const c = this.#candidates.get(candidateId);
    if (!c) return { cost: 0, breaksHot: [] };
    const table = findTable(this.#catalog, c.table, c.schema);
    const cols = new Set(candidateColumns(c, (e) => columnsIn(e, table)));
    const factor = c.method === 'gin' ? 3 : c.method === 'brin' ? 0.05 : 1;
    let cost = 0;
    const breaksHot: string[] = [];
    const perCallRead = this.#avgCostPerCall();
    for (const w of this.#writes) {
      const wr = w.model.write!;
      if (!table || findTable(this.#catalog, wr.table, wr.schema ?? undefined) !== table) continue;
      const time = this.unit === 'ms' && w.totalTimeMillis > 0 ? w.totalTimeMillis : Math.max(1, w.calls) * perCallRead;
      const share = time / (1 + (table?.indexes.length ?? 0));
      if (wr.kind === 'insert') cost += share * factor;
      else if (wr.kind === 'update' && wr.columns.some((x) => cols.has(x))) {
        cost += share * factor * 2;
        breaksHot.push(w.id);
      }
    }
    return { cost, breaksHot };
  }

  #avgCostPerCall(): number {
    let w = 0;
    let calls = 0;
    for (const st of this.statements) {
      w += this.weight(st);
      calls += Math.max(1, st.calls);
    }
    return calls > 0 ? w / calls : 0;
  }

  /** The candidate behind an index name seen in a plan (HypoPG names its indexes `<oid>btree_…`). */
  candidateForIndex(indexName: string): string | undefined {
    return this.#session.candidateForIndex(indexName);
  }

  /** Size of a candidate in bytes (0 when unknown). */
  size(candidateId: string): number {
    return this.#session.info(candidateId)?.sizeBytes ?? 0;
  }
}

/** Columns of `table` an expression mentions (for HOT checks on expression indexes). */
export function columnsIn(expression: string, table: Table | undefined): string[] {
  if (!table) return [];
  const words = new Set(expression.match(/[a-z_][a-z0-9_$]*/gi) ?? []);
  return table.columns.filter((c) => words.has(c.name)).map((c) => c.name);
}
