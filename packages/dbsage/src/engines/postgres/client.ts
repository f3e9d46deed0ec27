/**
 * One client interface over a PostgreSQL server (`pg`) and embedded PostgreSQL (PGlite). Analysis code talks
 * only to this interface, so every check runs on both engines.
 */

/** Per-query options. Units are in the names. */
export interface QueryOptions {
  /** Aborts the query (server: cancel request; embedded: best effort, checked before running). */
  signal?: AbortSignal;
  /** statement_timeout for this query, in ms. */
  timeoutMillis?: number;
}

/** A result: rows as plain objects keyed by column name, plus the affected-row count where known. */
export interface QueryResult<Row = Record<string, unknown>> {
  rows: Row[];
  rowCount: number;
  fields: readonly { name: string }[];
}

/** Anything that can run a query: a client, a transaction, or a pinned session. */
export interface Queryable {
  query<Row = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<Row>>;
}

/** Options of a transaction. */
export interface TransactionOptions {
  /** `BEGIN READ ONLY` (default true: analysis never writes). */
  readOnly?: boolean;
  /** SET LOCAL statement_timeout, ms. Default {@link DEFAULT_STATEMENT_TIMEOUT_MILLIS}. */
  statementTimeoutMillis?: number;
  /** SET LOCAL lock_timeout, ms. Default {@link DEFAULT_LOCK_TIMEOUT_MILLIS}. */
  lockTimeoutMillis?: number;
  /** Always roll back at the end, even on success (what-if work, EXPLAIN ANALYZE). Default true for read-only. */
  rollback?: boolean;
}

/** A session pinned to one backend: session state (hypopg, SET, temp tables) survives between queries. */
export interface PinnedSession extends Queryable {
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Backend process id of the session. */
  readonly pid: number;
  release(): Promise<void>;
}

/** Which engine is behind a client. */
export type EngineKind = 'server' | 'embedded';

/** The client interface. */
export interface PgClient extends Queryable {
  readonly kind: EngineKind;
  /** Redacted description for messages: `postgres://user@host:5432/db` or `embedded:memory`. */
  readonly description: string;
  /**
   * Runs `fn` in a transaction on one connection. Read-only by default, with statement and lock timeouts set
   * LOCAL; read-only transactions always end in ROLLBACK.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Pins one backend session until `release()`. Options set session-level defaults (read-only by default);
   * `{ readOnly: false }` is for statements that cannot run in a transaction block (`CREATE INDEX CONCURRENTLY`,
   * `VACUUM`), issued only by commands that asked the user first.
   */
  pin(options?: TransactionOptions): Promise<PinnedSession>;
  close(): Promise<void>;
}

/** Default statement_timeout for analysis queries (ms). Overridable per client and per call. */
export const DEFAULT_STATEMENT_TIMEOUT_MILLIS = 15_000;
/** Default lock_timeout for analysis queries (ms): analysis must never queue behind DDL. */
export const DEFAULT_LOCK_TIMEOUT_MILLIS = 1_000;
