import { findTable } from '../../catalog/lookup.js';
import type { Catalog } from '../../catalog/types.js';
import type { PinnedSession } from '../../engines/postgres/client.js';
import { quoteIdent } from '../../engines/postgres/quote.js';
import { btreeDedupFactor } from './btree-size.js';
import { candidateDdl, type IndexCandidate } from './candidate.js';
import { candidateServesPredicate } from './candidates.js';
import { applyGinModel, type CostSettings, DEFAULT_COST_SETTINGS, estimateGinSizeBytes } from './gin-model.js';
import type { PlanSummary } from './plan.js';
import type { AdvisorStatement } from './statements.js';
import { type CandidateInfo, explainStatement, type PlanMode, type WhatIfSession } from './what-if.js';

/** Access methods HypoPG can simulate (HypoPG README: btree, brin, hash; bloom when installed). */
export const HYPOPG_METHODS: readonly string[] = ['btree', 'brin', 'hash'];

/**
 * What-if costing with HypoPG in one pinned, read-only server session. Hypothetical indexes live only in that
 * backend's memory: nothing is written to the catalog, and `hypopg_reset()` plus the session's DISCARD ALL on
 * release remove them. A configuration is materialised by creating/dropping hypothetical indexes (microseconds
 * each); sizes come from `hypopg_relation_size`. GIN candidates are costed by {@link applyGinModel}.
 */
export class HypopgSession implements WhatIfSession {
  readonly engine = 'hypopg' as const;
  readonly #session: PinnedSession;
  readonly #catalog: Catalog;
  readonly #schema: string;
  readonly #serverVersionNum: number;
  #settings: CostSettings = DEFAULT_COST_SETTINGS;
  readonly #info = new Map<string, CandidateInfo>();
  readonly #candidates = new Map<string, IndexCandidate>();
  /** Hypothetical indexes that exist now: candidate id → oid and name. */
  readonly #live = new Map<string, { oid: number; name: string }>();
  readonly #byName = new Map<string, string>();
  #calls = 0;

  private constructor(session: PinnedSession, catalog: Catalog, schema: string, serverVersionNum: number) {
    this.#session = session;
    this.#catalog = catalog;
    this.#schema = schema;
    this.#serverVersionNum = serverVersionNum;
  }

  /** Opens the session: finds HypoPG's schema, resets it, reads the planner's cost constants. */
  static async open(session: PinnedSession, catalog: Catalog, serverVersionNum: number): Promise<HypopgSession> {
    const ext = await session.query<{ schema: string }>(
      "SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'hypopg'",
    );
    const schema = ext.rows[0]?.schema;
    if (!schema) throw new Error('hypopg is not installed in this database');
    const s = new HypopgSession(session, catalog, schema, serverVersionNum);
    await session.query(`SELECT ${quoteIdent(schema)}.hypopg_reset()`);
    const settings = await session.query<{ name: string; setting: string }>(
      "SELECT name, setting FROM pg_settings WHERE name IN ('seq_page_cost','random_page_cost','cpu_tuple_cost','cpu_index_tuple_cost','cpu_operator_cost')",
    );
    const get = (n: string, d: number) => Number(settings.rows.find((r) => r.name === n)?.setting ?? d);
    s.#settings = {
      seqPageCost: get('seq_page_cost', 1),
      randomPageCost: get('random_page_cost', 4),
      cpuTupleCost: get('cpu_tuple_cost', 0.01),
      cpuIndexTupleCost: get('cpu_index_tuple_cost', 0.005),
      cpuOperatorCost: get('cpu_operator_cost', 0.0025),
    };
    return s;
  }

  query: PinnedSession['query'] = (sql, params, options) => this.#session.query(sql, params, options);

  get explainCalls(): number {
    return this.#calls;
  }

  #fn(name: string): string {
    return `${quoteIdent(this.#schema)}.${name}`;
  }

  async #create(c: IndexCandidate): Promise<{ oid: number; name: string }> {
    const r = await this.#session.query<{ indexrelid: number; indexname: string }>(
      `SELECT indexrelid::int8 AS indexrelid, indexname FROM ${this.#fn('hypopg_create_index')}($1)`,
      [candidateDdl(c, { concurrently: false, ifNotExists: false })],
    );
    const row = r.rows[0];
    if (!row) throw new Error('hypopg_create_index returned no index');
    const live = { oid: Number(row.indexrelid), name: row.indexname };
    this.#live.set(c.id, live);
    this.#byName.set(live.name, c.id);
    return live;
  }

  async register(
    candidates: readonly IndexCandidate[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<void> {
    let done = 0;
    for (const c of candidates) {
      onProgress?.(done++, candidates.length);
      if (this.#info.has(c.id)) continue;
      this.#candidates.set(c.id, c);
      if (!HYPOPG_METHODS.includes(c.method)) {
        const table = findTable(this.#catalog, c.table, c.schema);
        this.#info.set(c.id, {
          sizeBytes: table ? estimateGinSizeBytes(c, table, this.#catalog) : 0,
          sizeSource: 'model',
          costSource: 'model',
          error: table ? null : 'table not in catalog',
        });
        this.#byName.set(c.name, c.id);
        continue;
      }
      try {
        const live = await this.#create(c);
        const size = await this.#session.query<{ size: number }>(
          `SELECT ${this.#fn('hypopg_relation_size')}($1)::int8 AS size`,
          [live.oid],
        );
        // HypoPG sizes one tuple per row; PostgreSQL 13+ deduplicates equal keys (see btree-size.ts).
        const table = findTable(this.#catalog, c.table, c.schema);
        const factor = table ? btreeDedupFactor(c, table, this.#catalog, this.#serverVersionNum) : 1;
        const raw = Number(size.rows[0]?.size ?? 0);
        this.#info.set(c.id, {
          sizeBytes: factor < 1 ? Math.ceil((raw * factor) / 8192) * 8192 : raw,
          sizeSource: 'hypopg',
          costSource: 'hypopg',
          error: null,
        });
      } catch (error) {
        this.#info.set(c.id, {
          sizeBytes: 0,
          sizeSource: 'hypopg',
          costSource: 'hypopg',
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    await this.#sync([]);
  }

  info(candidateId: string): CandidateInfo | undefined {
    return this.#info.get(candidateId);
  }

  candidateForIndex(indexName: string): string | undefined {
    return this.#byName.get(indexName);
  }

  async #sync(enabled: readonly IndexCandidate[]): Promise<void> {
    const want = new Set(
      enabled.filter((c) => HYPOPG_METHODS.includes(c.method) && !this.#info.get(c.id)?.error).map((c) => c.id),
    );
    for (const [id, live] of [...this.#live]) {
      if (want.has(id)) continue;
      await this.#session.query(`SELECT ${this.#fn('hypopg_drop_index')}($1)`, [live.oid]);
      this.#live.delete(id);
    }
    for (const id of want) if (!this.#live.has(id)) await this.#create(this.#candidates.get(id)!);
  }

  async explain(statement: AdvisorStatement, enabled: readonly IndexCandidate[], mode: PlanMode): Promise<PlanSummary> {
    await this.#sync(enabled);
    this.#calls++;
    let plan = await explainStatement(this.#session, statement, mode, this.#serverVersionNum, false);
    for (const c of enabled) {
      const info = this.#info.get(c.id);
      if (info?.costSource !== 'model' || info.error) continue;
      const table = findTable(this.#catalog, c.table, c.schema);
      if (!table || !statement.tables.includes(table) || !candidateServesPredicate(c, statement, this.#catalog))
        continue;
      plan = applyGinModel(plan, c, table, c.name, info.sizeBytes, this.#settings);
    }
    return plan;
  }

  /** Removes every hypothetical index of this session. */
  async reset(): Promise<void> {
    await this.#session.query(`SELECT ${this.#fn('hypopg_reset')}()`).catch(() => undefined);
    this.#live.clear();
  }
}
