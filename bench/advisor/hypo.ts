import type pg from 'pg';
import { type BenchStatement, type PlanNode, rootPlan, stripSemicolon } from './statement.js';

/**
 * A minimal HypoPG session for the baselines (their what-if engine, independent of the advisor's): hypothetical
 * B-trees in one backend, plans with custom (representative) or generic parameters.
 */
export class HypoSession {
  readonly #db: pg.Client;
  #explains = 0;
  #prepared = 0;

  constructor(db: pg.Client) {
    this.#db = db;
  }

  /** EXPLAIN calls made so far. */
  get explainCalls(): number {
    return this.#explains;
  }

  async reset(): Promise<void> {
    await this.#db.query('SELECT hypopg_reset()');
  }

  /** Creates a hypothetical index; returns its oid and the name plans will show. */
  async create(ddl: string): Promise<{ oid: number; name: string }> {
    const r = await this.#db.query<{ indexrelid: string; indexname: string }>(
      'SELECT indexrelid, indexname FROM hypopg_create_index($1)',
      [ddl],
    );
    return { oid: Number(r.rows[0]!.indexrelid), name: r.rows[0]!.indexname };
  }

  async drop(oid: number): Promise<void> {
    await this.#db.query('SELECT hypopg_drop_index($1)', [oid]);
  }

  /** HypoPG's size estimate of a hypothetical index, bytes. */
  async size(oid: number): Promise<number> {
    const r = await this.#db.query<{ size: string }>('SELECT hypopg_relation_size($1)::int8 AS size', [oid]);
    return Number(r.rows[0]!.size);
  }

  /**
   * Plans a statement. `generic` uses a prepared statement under `plan_cache_mode = force_generic_plan`, executed
   * with NULLs (a forced generic plan never looks at them) — how supabase's index_advisor plans (PostgreSQL 15
   * has no EXPLAIN (GENERIC_PLAN)).
   */
  async plan(st: BenchStatement, generic = false): Promise<PlanNode> {
    this.#explains++;
    const sql = stripSemicolon(st.sql);
    if (!generic || st.params.length === 0) {
      return rootPlan(
        (await this.#db.query(`EXPLAIN (FORMAT JSON) ${sql}`, st.params.length ? [...st.params] : undefined)).rows,
      );
    }
    const name = `bench_generic_${++this.#prepared}`;
    await this.#db.query('SET plan_cache_mode = force_generic_plan');
    try {
      await this.#db.query(`PREPARE ${name} AS ${sql}`);
      const nulls = st.params.map(() => 'NULL').join(', ');
      return rootPlan((await this.#db.query(`EXPLAIN (FORMAT JSON) EXECUTE ${name}(${nulls})`)).rows);
    } finally {
      await this.#db.query(`DEALLOCATE ${name}`).catch(() => undefined);
      await this.#db.query('RESET plan_cache_mode');
    }
  }
}
