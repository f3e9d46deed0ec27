import type { QueryResult } from '../engines/postgres/client.js';
import type { AnalyzerContext } from '../findings/registry.js';
import type { Snapshot } from './snapshot.js';
import type { TableNeed } from './sources.js';

/**
 * Per-run state of the doctor, attached to the analyzer context: the `--since` baseline and a memo of the
 * set-based source queries several checks share (activity, table and index statistics), so a run reads each
 * source once however many checks use it. Kept in a WeakMap so the shared AnalyzerContext type stays unchanged.
 */
export interface DoctorState {
  /** Counters saved by `--snapshot`; when set, counter-based checks report the window since then. */
  readonly baseline?: Snapshot;
  /** Memoised source reads by key. */
  readonly memo: Map<string, Promise<unknown>>;
  /** Notes for the report (e.g. a statistics reset inside the window). */
  readonly notes: Set<string>;
  /** Catalog-derived values kept across the runs of a {@link DoctorSession}, when the run belongs to one. */
  readonly cache?: CatalogCache;
  /** The tables each selected check may report, by check id (set by the runner; see `candidateTables`). */
  tableNeeds?: ReadonlyMap<string, TableNeed>;
}

/**
 * Values derived from the catalog alone (index shapes, foreign keys, tables without a primary key), kept across
 * the runs of one doctor session while the catalog version ({@link catalogVersion}) does not change. Statistics
 * (sizes, counters, pg_stats) are never kept here: they are read again on every run. A new version drops
 * everything, so a cached value can never hide a schema change.
 */
export class CatalogCache {
  #version: string | undefined;
  readonly #values = new Map<string, Promise<unknown>>();
  /** How many times the catalog was found changed (the first run counts) and everything was read again. */
  reloads = 0;

  /** Sets the version read at the start of a run; a different one drops every cached value. */
  setVersion(version: string): void {
    if (version === this.#version) return;
    this.#values.clear();
    this.#version = version;
    this.reloads++;
  }

  /** The value under `key`, loaded once per catalog version. A failed load is not kept. */
  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    let value = this.#values.get(key) as Promise<T> | undefined;
    if (!value) {
      const version = this.#version;
      value = load();
      this.#values.set(key, value);
      value.catch(() => {
        if (this.#version === version && this.#values.get(key) === value) this.#values.delete(key);
      });
    }
    return value;
  }
}

const states = new WeakMap<AnalyzerContext, DoctorState>();

/** Attaches doctor state to a context (the runner does this once per run). */
export function attachDoctorState(ctx: AnalyzerContext, baseline?: Snapshot, cache?: CatalogCache): DoctorState {
  const state: DoctorState = {
    ...(baseline ? { baseline } : {}),
    ...(cache ? { cache } : {}),
    memo: new Map(),
    notes: new Set(),
  };
  states.set(ctx, state);
  return state;
}

/** The doctor state of a context, created empty when a check runs outside the runner (tests, other tools). */
export function doctorState(ctx: AnalyzerContext): DoctorState {
  return states.get(ctx) ?? attachDoctorState(ctx);
}

/** Reads a shared source once per run. */
export function memo<T>(ctx: AnalyzerContext, key: string, load: () => Promise<T>): Promise<T> {
  const state = doctorState(ctx);
  let value = state.memo.get(key) as Promise<T> | undefined;
  if (!value) {
    value = load();
    state.memo.set(key, value);
    // A failed read is not cached: the next check that needs it tries again under its own timeout.
    value.catch(() => state.memo.delete(key));
  }
  return value;
}

/**
 * Reads a value derived from the catalog alone: kept across the runs of a doctor session while the catalog
 * version is unchanged, read once per run otherwise. Never use it for anything that reads statistics.
 */
export function catalogMemo<T>(ctx: AnalyzerContext, key: string, load: () => Promise<T>): Promise<T> {
  const cache = doctorState(ctx).cache;
  return cache ? cache.get(key, load) : memo(ctx, `catalog:${key}`, load);
}

/**
 * Marker at the start of every doctor query, so the doctor's own statements can be left out of
 * pg_stat_statements figures (pg_stat_statements keeps comments in the stored text).
 */
export const DOCTOR_QUERY_MARKER = '/* dbsage doctor */';

/** Runs one read-only doctor query (marked, with the context's abort signal) and returns its rows. */
export async function query<Row = Record<string, unknown>>(
  ctx: AnalyzerContext,
  sql: string,
  params?: readonly unknown[],
  timeoutMillis?: number,
): Promise<Row[]> {
  const client = ctx.client;
  if (!client) throw new Error('needs a database connection');
  const result: QueryResult<Row> = await client.query<Row>(`${DOCTOR_QUERY_MARKER} ${sql}`, params, {
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(timeoutMillis === undefined ? {} : { timeoutMillis }),
  });
  return result.rows;
}

/**
 * Runs a doctor query that reads pg_stat_get_* counters of thousands of relations, with
 * `stats_fetch_consistency = none` (PostgreSQL 15+, set for this transaction only): each counter is read straight
 * from shared memory instead of first being copied into a per-transaction cache, which costs the server about a
 * third less over a big catalog. The doctor reads each counter once per query, so it never needs two reads to
 * agree. One extra round trip; older servers (no such setting) run the plain query.
 */
export async function statsQuery<Row = Record<string, unknown>>(
  ctx: AnalyzerContext,
  sql: string,
  params?: readonly unknown[],
): Promise<Row[]> {
  const client = ctx.client;
  if (!client) throw new Error('needs a database connection');
  if ((ctx.capabilities?.serverVersionNum ?? 0) < 150000) return query<Row>(ctx, sql, params);
  const options = ctx.signal ? { signal: ctx.signal } : {};
  return client.transaction(async (tx) => {
    await tx.query('SET LOCAL stats_fetch_consistency = none', [], options);
    return (await tx.query<Row>(`${DOCTOR_QUERY_MARKER} ${sql}`, params, options)).rows;
  });
}
