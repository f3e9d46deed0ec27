import type { Queryable } from '../../engines/postgres/client.js';
import { qualifiedName } from '../../engines/postgres/quote.js';
import { candidateDdl, extensionDdl, extensionsFor, type IndexCandidate } from './candidate.js';
import type { PlanSummary } from './plan.js';
import type { AdvisorStatement } from './statements.js';
import { type CandidateInfo, explainStatement, type PlanMode, type WhatIfSession } from './what-if.js';

/**
 * What-if costing with real indexes inside one transaction the caller always rolls back (embedded PGlite, or a
 * scratch server). Each candidate is built once (in a savepoint, so one bad candidate cannot abort the rest);
 * a configuration is shown to the planner by setting `pg_index.indisvalid` of the candidates — the planner skips
 * indexes that are not valid — and `indcheckxmin = false`, which would otherwise hide an index built in the
 * same transaction on a table with broken HOT chains. Tables with expression candidates are ANALYZEd inside
 * the transaction, so expression statistics exist as they would after a real build. Requires superuser
 * (PGlite always is). Nothing survives the rollback.
 */
export class RealIndexSession implements WhatIfSession {
  readonly engine = 'real-index' as const;
  readonly #tx: Queryable;
  readonly #serverVersionNum: number;
  readonly #info = new Map<string, CandidateInfo>();
  readonly #oid = new Map<string, number>();
  readonly #byName = new Map<string, string>();
  /** Candidates currently visible to the planner. */
  readonly #visible = new Set<string>();
  #calls = 0;
  #savepoint = 0;

  constructor(tx: Queryable, serverVersionNum: number) {
    this.#tx = tx;
    this.#serverVersionNum = serverVersionNum;
  }

  query: Queryable['query'] = (sql, params, options) => this.#tx.query(sql, params, options);

  get explainCalls(): number {
    return this.#calls;
  }

  async #guarded<T>(fn: () => Promise<T>): Promise<T> {
    const sp = `dbsage_sp_${++this.#savepoint}`;
    await this.#tx.query(`SAVEPOINT ${sp}`);
    try {
      const out = await fn();
      await this.#tx.query(`RELEASE SAVEPOINT ${sp}`);
      return out;
    } catch (error) {
      await this.#tx.query(`ROLLBACK TO SAVEPOINT ${sp}`);
      await this.#tx.query(`RELEASE SAVEPOINT ${sp}`);
      throw error;
    }
  }

  async register(
    candidates: readonly IndexCandidate[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<void> {
    const todo = candidates.filter((c) => !this.#info.has(c.id));
    // GIN builds accumulate entries in maintenance_work_mem: raise it (never lower) to 256 MB for this transaction.
    await this.#tx.query(
      "SELECT set_config('maintenance_work_mem', greatest(setting::int8, 262144)::text || 'kB', true) FROM pg_settings WHERE name = 'maintenance_work_mem'",
    );
    // An extension the candidates need (pg_trgm) but the database only has available is created inside the
    // transaction, which is rolled back with everything else; when that fails the candidates report the error.
    for (const ext of [...new Set(todo.flatMap(extensionsFor))].sort()) {
      await this.#guarded(() => this.#tx.query(extensionDdl(ext))).catch(() => undefined);
    }
    const analyze = new Set<string>();
    let done = 0;
    for (const c of todo) {
      onProgress?.(done++, todo.length);
      try {
        const oid = await this.#guarded(async () => {
          await this.#tx.query(candidateDdl(c, { concurrently: false, ifNotExists: false }));
          const r = await this.#tx.query<{ oid: number; size: number }>(
            'SELECT c.oid::int8 AS oid, pg_relation_size(c.oid)::int8 AS size FROM pg_class c WHERE c.oid = to_regclass($1)',
            [qualifiedName(c.schema, c.name)],
          );
          const row = r.rows[0];
          if (!row) throw new Error(`index ${c.name} not found after CREATE INDEX`);
          this.#info.set(c.id, {
            sizeBytes: Number(row.size),
            sizeSource: 'built',
            costSource: 'real-index',
            error: null,
          });
          return Number(row.oid);
        });
        this.#oid.set(c.id, oid);
        this.#byName.set(c.name, c.id);
        this.#visible.add(c.id);
        if (c.keys.some((k) => k.expression !== null)) analyze.add(qualifiedName(c.schema, c.table));
      } catch (error) {
        this.#info.set(c.id, {
          sizeBytes: 0,
          sizeSource: 'built',
          costSource: 'real-index',
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    onProgress?.(todo.length, todo.length);
    // Expression statistics are gathered by ANALYZE of the table (only tables with expression candidates).
    for (const table of analyze) await this.#tx.query(`ANALYZE ${table}`);
    await this.#show([]);
  }

  info(candidateId: string): CandidateInfo | undefined {
    return this.#info.get(candidateId);
  }

  candidateForIndex(indexName: string): string | undefined {
    return this.#byName.get(indexName);
  }

  async #show(enabled: readonly IndexCandidate[]): Promise<void> {
    const want = new Set(enabled.map((c) => c.id).filter((id) => this.#oid.has(id)));
    const changed = [...this.#oid.keys()].filter((id) => want.has(id) !== this.#visible.has(id));
    if (changed.length === 0) return;
    const on = changed.filter((id) => want.has(id)).map((id) => this.#oid.get(id)!);
    const all = changed.map((id) => this.#oid.get(id)!);
    await this.#tx.query(
      'UPDATE pg_catalog.pg_index SET indisvalid = (indexrelid = ANY($1::oid[])), indcheckxmin = false WHERE indexrelid = ANY($2::oid[])',
      [on, all],
    );
    for (const id of changed) {
      if (want.has(id)) this.#visible.add(id);
      else this.#visible.delete(id);
    }
  }

  async explain(statement: AdvisorStatement, enabled: readonly IndexCandidate[], mode: PlanMode): Promise<PlanSummary> {
    await this.#show(enabled);
    this.#calls++;
    return this.#guarded(() => explainStatement(this.#tx, statement, mode, this.#serverVersionNum, true));
  }
}
