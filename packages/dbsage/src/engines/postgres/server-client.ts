import pg from 'pg';
import { ConnectionError, pgErrorFields, QueryError } from '../../errors.js';
import { hostPort, redactText, redactUrl } from '../../util/redact.js';
import type { PgClient, PinnedSession, Queryable, QueryOptions, QueryResult, TransactionOptions } from './client.js';
import {
  type ResolvedTransactionOptions,
  resolveTransactionOptions,
  runTransactionOn,
  sessionSetupSql,
} from './transaction-sql.js';
import { INT8_OID, NUMERIC_OID, parseNumber } from './type-parsers.js';

/** Options of a server client. */
export interface ServerClientOptions {
  /** A `postgres://` URL; when absent, libpq `PG*` environment variables are used. */
  connectionString?: string;
  /** Pool size (default 4: analysis runs a few checks in parallel, never more). */
  maxConnections?: number;
  /** Default statement_timeout for analysis queries, ms. */
  statementTimeoutMillis?: number;
  /** Default lock_timeout, ms. */
  lockTimeoutMillis?: number;
  /** Connect timeout, ms (default 5000). */
  connectTimeoutMillis?: number;
  /** application_name shown in pg_stat_activity (default `dbsage`). */
  applicationName?: string;
}

const typeParsers = {
  getTypeParser(oid: number, format?: string) {
    if (oid === INT8_OID || oid === NUMERIC_OID) return parseNumber;
    // biome-ignore lint/suspicious/noExplicitAny: pg's overloads for text/binary formats do not narrow here
    return (pg.types.getTypeParser as any)(oid, format);
  },
};

function wrapQueryError(error: unknown): Error {
  if (error instanceof Error && 'code' in error && typeof (error as { code: unknown }).code === 'string') {
    return new QueryError(redactText(error.message), pgErrorFields(error), error);
  }
  return error instanceof Error ? error : new Error(String(error));
}

async function runOn(
  client: pg.PoolClient | pg.Client,
  sql: string,
  params: readonly unknown[] | undefined,
  options: QueryOptions | undefined,
  cancel: (pid: number) => Promise<void>,
): Promise<QueryResult<never>> {
  options?.signal?.throwIfAborted();
  const pid = (client as unknown as { processID: number }).processID;
  const onAbort = () => void cancel(pid).catch(() => undefined);
  options?.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await client.query({ text: sql, values: params as unknown[] | undefined });
    const last = Array.isArray(result) ? result[result.length - 1] : result;
    return { rows: last.rows as never[], rowCount: last.rowCount ?? 0, fields: last.fields ?? [] };
  } catch (error) {
    throw wrapQueryError(error);
  } finally {
    options?.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * PostgreSQL server client on a `pg` pool. Every `query()` runs in its own READ ONLY transaction with
 * statement and lock timeouts; writes are possible only through an explicit `transaction(fn, { readOnly: false })`
 * or `pin({ readOnly: false })`.
 */
export class ServerClient implements PgClient {
  readonly kind = 'server' as const;
  readonly description: string;
  readonly #pool: pg.Pool;
  readonly #defaults: { statementTimeoutMillis?: number; lockTimeoutMillis?: number };
  readonly #target: string;

  private constructor(pool: pg.Pool, description: string, target: string, options: ServerClientOptions) {
    this.#pool = pool;
    this.description = description;
    this.#target = target;
    this.#defaults = {
      ...(options.statementTimeoutMillis === undefined
        ? {}
        : { statementTimeoutMillis: options.statementTimeoutMillis }),
      ...(options.lockTimeoutMillis === undefined ? {} : { lockTimeoutMillis: options.lockTimeoutMillis }),
    };
    // Errors on idle clients must not crash the process.
    pool.on('error', () => undefined);
  }

  /** Connects (and checks the connection once) or throws a {@link ConnectionError} naming host:port only. */
  static async connect(options: ServerClientOptions = {}): Promise<ServerClient> {
    const url = options.connectionString;
    const target = url ? hostPort(url) : `${process.env.PGHOST ?? 'localhost'}:${process.env.PGPORT ?? '5432'}`;
    const description = url ? redactUrl(url) : `postgres://${target}`;
    const pool = new pg.Pool({
      ...(url ? { connectionString: url } : {}),
      max: options.maxConnections ?? 4,
      connectionTimeoutMillis: options.connectTimeoutMillis ?? 5000,
      idleTimeoutMillis: 10_000,
      application_name: options.applicationName ?? 'dbsage',
      types: typeParsers,
    });
    const client = new ServerClient(pool, description, target, options);
    try {
      const c = await pool.connect();
      c.release();
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw new ConnectionError(target, new Error(redactText(error instanceof Error ? error.message : String(error))));
    }
    return client;
  }

  async #checkout(): Promise<pg.PoolClient> {
    try {
      return await this.#pool.connect();
    } catch (error) {
      throw new ConnectionError(
        this.#target,
        new Error(redactText(error instanceof Error ? error.message : String(error))),
      );
    }
  }

  #cancel = async (pid: number): Promise<void> => {
    await this.#pool.query('SELECT pg_cancel_backend($1)', [pid]);
  };

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

  async transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T> {
    const resolved = resolveTransactionOptions(options, this.#defaults);
    const client = await this.#checkout();
    return runTransaction(client, resolved, fn, this.#cancel).finally(() => client.release());
  }

  async pin(options: TransactionOptions = {}): Promise<PinnedSession> {
    const resolved = resolveTransactionOptions(options, this.#defaults);
    const client = await this.#checkout();
    await client.query(sessionSetupSql(resolved));
    const cancel = this.#cancel;
    let released = false;
    return {
      pid: (client as unknown as { processID: number }).processID,
      query: <Row>(sql: string, params?: readonly unknown[], opts?: QueryOptions) =>
        runOn(client, sql, params, opts, cancel) as Promise<QueryResult<Row>>,
      transaction: <T>(fn: (tx: Queryable) => Promise<T>, txOptions?: TransactionOptions) =>
        runTransaction(client, resolveTransactionOptions({ ...options, ...txOptions }, this.#defaults), fn, cancel),
      release: async () => {
        if (released) return;
        released = true;
        // Discard session state (hypopg indexes, settings) before the connection goes back to the pool.
        await client.query('DISCARD ALL').catch(() => undefined);
        client.release();
      },
    };
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

function runTransaction<T>(
  client: pg.PoolClient,
  o: ResolvedTransactionOptions,
  fn: (tx: Queryable) => Promise<T>,
  cancel: (pid: number) => Promise<void>,
): Promise<T> {
  const tx: Queryable = {
    query: <Row>(sql: string, params?: readonly unknown[], opts?: QueryOptions) =>
      runOn(client, sql, params, opts, cancel) as Promise<QueryResult<Row>>,
  };
  return runTransactionOn((sql) => runOn(client, sql, undefined, undefined, cancel), tx, o, fn);
}
