import type pg from 'pg';
import { candidateDdl, type IndexCandidate } from '../../packages/dbsage/src/advisor/indexes/candidate.js';
import { qualifiedName } from '../../packages/dbsage/src/engines/postgres/quote.js';
import { type BenchStatement, rootPlan, stripSemicolon } from './statement.js';

/**
 * Costing index sets with real indexes. Every distinct index of every set is built once, for real, on the
 * throwaway server (`CREATE INDEX`, then `ANALYZE` of the tables that got one, so expression indexes have their
 * statistics), and its on-disk size read. A set is then costed inside a transaction that is rolled back: the
 * built indexes outside the set are marked not valid in `pg_index` (the planner skips invalid indexes), and every
 * statement is EXPLAINed with its representative parameters. The baseline (no new index) is costed the same way
 * after the same ANALYZE, so every set is compared under identical statistics. All indexes are dropped at the
 * end.
 */

/** The cost of one set. */
export interface SetCost {
  /** Σ calls × total cost. */
  cost: number;
  /** Per statement: total cost and the built indexes its plan uses. */
  statements: { id: string; cost: number; indexes: string[] }[];
  /** Σ on-disk size of the set's indexes, bytes. */
  bytes: number;
}

/** A measured run of the workload. */
export interface SetTiming {
  /** Σ calls × median ms (a timed-out statement counts with the timeout). */
  millis: number;
  statements: { id: string; medianMillis: number; runs: number[]; timedOut: boolean }[];
}

/** An index that could not be built (its sets are costed without it). */
export interface BuildError {
  index: string;
  error: string;
}

interface Built {
  candidate: IndexCandidate;
  name: string;
  oid: number;
  bytes: number;
}

/** Real indexes for a list of sets, built once. */
export class RealIndexBench {
  readonly #db: pg.Client;
  readonly #built = new Map<string, Built>();
  readonly #failed = new Map<string, string>();
  #n = 0;

  constructor(db: pg.Client) {
    this.#db = db;
  }

  /** Builds every index of `sets` not built yet, then ANALYZEs the tables that got one. */
  async build(sets: readonly (readonly IndexCandidate[])[], onProgress?: (label: string) => void): Promise<number> {
    const todo = new Map<string, IndexCandidate>();
    for (const set of sets)
      for (const c of set) if (!this.#built.has(c.id) && !this.#failed.has(c.id)) todo.set(c.id, c);
    const tables = new Set<string>();
    let i = 0;
    const started = performance.now();
    for (const c of [...todo.values()].sort((a, b) => a.id.localeCompare(b.id))) {
      onProgress?.(`building real index ${++i}/${todo.size}: ${c.id}`);
      const name = `bench_ix_${++this.#n}`;
      try {
        await this.#db.query(candidateDdl(c, { concurrently: false, ifNotExists: false, name }));
      } catch (error) {
        this.#failed.set(c.id, error instanceof Error ? error.message : String(error));
        continue;
      }
      const r = await this.#db.query<{ oid: string; bytes: string }>(
        'SELECT c.oid::int8 AS oid, pg_relation_size(c.oid)::int8 AS bytes FROM pg_class c WHERE c.oid = to_regclass($1)',
        [qualifiedName(c.schema, name)],
      );
      this.#built.set(c.id, { candidate: c, name, oid: Number(r.rows[0]!.oid), bytes: Number(r.rows[0]!.bytes) });
      tables.add(qualifiedName(c.schema, c.table));
    }
    for (const t of tables) await this.#db.query(`ANALYZE ${t}`);
    return performance.now() - started;
  }

  /** Indexes that could not be built, with PostgreSQL's error. */
  get buildErrors(): BuildError[] {
    return [...this.#failed].map(([index, error]) => ({ index, error }));
  }

  /** On-disk bytes of a set (built indexes). */
  bytes(set: readonly IndexCandidate[]): number {
    return set.reduce((a, c) => a + (this.#built.get(c.id)?.bytes ?? 0), 0);
  }

  /** The built index name of a candidate. */
  nameOf(candidateId: string): string | undefined {
    return this.#built.get(candidateId)?.name;
  }

  /** Runs `fn` in a rolled-back transaction where only `set`'s built indexes are valid. */
  async #withOnly<T>(set: readonly IndexCandidate[], fn: () => Promise<T>): Promise<T> {
    const want = new Set(set.map((c) => c.id));
    const hide = [...this.#built.values()].filter((b) => !want.has(b.candidate.id)).map((b) => b.oid);
    for (const c of set) if (!this.#built.has(c.id) && !this.#failed.has(c.id)) throw new Error(`not built: ${c.id}`);
    await this.#db.query('BEGIN');
    try {
      if (hide.length > 0) {
        await this.#db.query('UPDATE pg_catalog.pg_index SET indisvalid = false WHERE indexrelid = ANY($1::oid[])', [
          hide,
        ]);
      }
      return await fn();
    } finally {
      await this.#db.query('ROLLBACK');
    }
  }

  /** Planner cost of the workload with exactly `set` (plus the primary keys). */
  async cost(set: readonly IndexCandidate[], statements: readonly BenchStatement[]): Promise<SetCost> {
    return this.#withOnly(set, async () => {
      const out: SetCost['statements'] = [];
      let cost = 0;
      const names = new Set(set.flatMap((c) => this.#built.get(c.id)?.name ?? []));
      for (const st of statements) {
        const plan = rootPlan(
          (
            await this.#db.query(
              `EXPLAIN (FORMAT JSON) ${stripSemicolon(st.sql)}`,
              st.params.length ? [...st.params] : undefined,
            )
          ).rows,
        );
        const used = new Set<string>();
        const walk = (n: typeof plan) => {
          if (typeof n['Index Name'] === 'string' && names.has(n['Index Name'])) used.add(n['Index Name']);
          for (const c of n.Plans ?? []) walk(c);
        };
        walk(plan);
        out.push({ id: st.id, cost: plan['Total Cost'], indexes: [...used] });
        cost += st.calls * plan['Total Cost'];
      }
      return { cost, statements: out, bytes: this.bytes(set) };
    });
  }

  /**
   * Measured workload time with exactly `set`: each statement once to warm the cache, then `runs` timed runs
   * (median). A run over `timeoutMillis` is cancelled and counts as the timeout (and the statement is not run again).
   */
  async time(
    set: readonly IndexCandidate[],
    statements: readonly BenchStatement[],
    runs = 3,
    timeoutMillis = 60_000,
    onProgress?: (label: string) => void,
  ): Promise<SetTiming> {
    return this.#withOnly(set, async () => {
      await this.#db.query(`SET LOCAL statement_timeout = ${Math.round(timeoutMillis)}`);
      const out: SetTiming['statements'] = [];
      let millis = 0;
      for (const st of statements) {
        onProgress?.(`timing ${st.id}`);
        const times: number[] = [];
        let timedOut = false;
        for (let i = 0; i <= runs && !timedOut; i++) {
          await this.#db.query('SAVEPOINT bench_run');
          const t0 = performance.now();
          try {
            await this.#db.query(stripSemicolon(st.sql), st.params.length ? [...st.params] : undefined);
            const t = performance.now() - t0;
            if (i > 0) times.push(t);
            await this.#db.query('RELEASE SAVEPOINT bench_run');
          } catch (error) {
            await this.#db.query('ROLLBACK TO SAVEPOINT bench_run');
            if ((error as { code?: string }).code !== '57014') throw error;
            timedOut = true;
            times.push(timeoutMillis);
          }
        }
        const s = [...times].sort((a, b) => a - b);
        const median = s[Math.floor(s.length / 2)]!;
        out.push({ id: st.id, medianMillis: median, runs: times, timedOut });
        millis += st.calls * median;
      }
      return { millis, statements: out };
    });
  }

  /** Drops every built index. */
  async dropAll(): Promise<void> {
    for (const b of this.#built.values()) {
      await this.#db.query(`DROP INDEX IF EXISTS ${qualifiedName(b.candidate.schema, b.name)}`);
    }
    this.#built.clear();
  }
}
