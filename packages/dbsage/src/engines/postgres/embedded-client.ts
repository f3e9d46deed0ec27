import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { btree_gin } from '@electric-sql/pglite/contrib/btree_gin';
import { pg_stat_statements } from '@electric-sql/pglite/contrib/pg_stat_statements';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { uuid_ossp } from '@electric-sql/pglite/contrib/uuid_ossp';
import { pgErrorFields, QueryError } from '../../errors.js';
import type { PgClient, PinnedSession, Queryable, QueryOptions, QueryResult, TransactionOptions } from './client.js';
import { Mutex } from './mutex.js';
import { type ResolvedTransactionOptions, resolveTransactionOptions, runTransactionOn } from './transaction-sql.js';
import { INT8_OID, NUMERIC_OID, parseNumber } from './type-parsers.js';

/** Options of the embedded engine. */
export interface EmbeddedClientOptions {
  /** Data directory (persisted); in memory when absent. */
  dataDir?: string;
  /** A tarball from {@link EmbeddedClient.dumpDataDir} to start from (fast test fixtures). */
  loadDataDir?: Blob;
  statementTimeoutMillis?: number;
  lockTimeoutMillis?: number;
}

/** Contrib extensions loaded into every embedded instance (the ones dbsage's analyses use). */
export const EMBEDDED_EXTENSIONS = { pg_stat_statements, pg_trgm, uuid_ossp, btree_gin } as const;

type Db = PGlite;

async function runOn(
  db: Db,
  sql: string,
  params?: readonly unknown[],
  options?: QueryOptions,
): Promise<QueryResult<never>> {
  options?.signal?.throwIfAborted();
  try {
    if (params === undefined || params.length === 0) {
      // Without parameters, the simple protocol (as `pg` does): multi-statement text works the same way.
      const results = await db.exec(sql);
      const last = results[results.length - 1];
      return { rows: (last?.rows ?? []) as never[], rowCount: last?.affectedRows ?? 0, fields: last?.fields ?? [] };
    }
    const result = await db.query(sql, params as unknown[] | undefined);
    return { rows: result.rows as never[], rowCount: result.affectedRows ?? result.rows.length, fields: result.fields };
  } catch (error) {
    const fields = pgErrorFields(error);
    if (fields.code) throw new QueryError(error instanceof Error ? error.message : String(error), fields, error);
    throw error;
  }
}

/**
 * Embedded PostgreSQL (PGlite, WASM, one session). Same contract as the server client: analysis queries run
 * READ ONLY with timeouts set LOCAL. Calls are serialised by a mutex because there is only one backend.
 */
export class EmbeddedClient implements PgClient {
  readonly kind = 'embedded' as const;
  readonly description: string;
  readonly #db: Db;
  readonly #mutex = new Mutex();
  readonly #defaults: { statementTimeoutMillis?: number; lockTimeoutMillis?: number };

  private constructor(db: Db, description: string, options: EmbeddedClientOptions) {
    this.#db = db;
    this.description = description;
    this.#defaults = {
      ...(options.statementTimeoutMillis === undefined
        ? {}
        : { statementTimeoutMillis: options.statementTimeoutMillis }),
      ...(options.lockTimeoutMillis === undefined ? {} : { lockTimeoutMillis: options.lockTimeoutMillis }),
    };
  }

  /** Starts PGlite with the contrib extensions dbsage uses (takes a few seconds). */
  static async open(options: EmbeddedClientOptions = {}): Promise<EmbeddedClient> {
    const pgliteOptions: PGliteOptions = {
      extensions: EMBEDDED_EXTENSIONS,
      parsers: { [INT8_OID]: parseNumber, [NUMERIC_OID]: parseNumber },
      relaxedDurability: true,
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    };
    const db = await PGlite.create(options.dataDir, pgliteOptions);
    return new EmbeddedClient(db, `embedded:${options.dataDir ?? 'memory'}`, options);
  }

  /** The underlying PGlite instance, for setup code (demo data, tests). Analysis code must not use it. */
  get pglite(): PGlite {
    return this.#db;
  }

  /** Snapshot of the data directory, to start later instances fast. */
  async dumpDataDir(): Promise<Blob> {
    return this.#mutex.run(() => this.#db.dumpDataDir('none'));
  }

  query<Row = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<Row>> {
    return this.transaction(
      (tx) => tx.query<Row>(sql, params, options),
      options?.timeoutMillis === undefined ? {} : { statementTimeoutMillis: options.timeoutMillis },
    );
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T> {
    const resolved = resolveTransactionOptions(options, this.#defaults);
    return this.#mutex.run(() => runTransaction(this.#db, resolved, fn));
  }

  /**
   * Runs setup SQL that writes (schema, data), outside the read-only contract. Only the demo and test fixtures
   * call this; analysis never does.
   */
  async execWrite(sql: string, params?: readonly unknown[]): Promise<QueryResult> {
    return this.#mutex.run(() => runOn(this.#db, sql, params));
  }

  async pin(options: TransactionOptions = {}): Promise<PinnedSession> {
    // One backend: the "pinned" session is the instance itself; each call still takes the mutex.
    const db = this.#db;
    const mutex = this.#mutex;
    const pid = (await mutex.run(() => runOn(db, 'SELECT pg_backend_pid() AS pid'))).rows[0] as unknown as {
      pid: number;
    };
    return {
      pid: pid.pid,
      query: <Row>(sql: string, params?: readonly unknown[], opts?: QueryOptions) =>
        mutex.run(() => runOn(db, sql, params, opts)) as Promise<QueryResult<Row>>,
      transaction: <T>(fn: (tx: Queryable) => Promise<T>, txOptions?: TransactionOptions) =>
        mutex.run(() =>
          runTransaction(db, resolveTransactionOptions({ ...options, ...txOptions }, this.#defaults), fn),
        ),
      release: async () => undefined,
    };
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}

function runTransaction<T>(db: Db, o: ResolvedTransactionOptions, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  const tx: Queryable = {
    query: <Row>(sql: string, params?: readonly unknown[], opts?: QueryOptions) =>
      runOn(db, sql, params, opts) as Promise<QueryResult<Row>>,
  };
  return runTransactionOn((sql) => db.exec(sql), tx, o, fn);
}
