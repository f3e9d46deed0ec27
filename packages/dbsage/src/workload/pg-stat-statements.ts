import { type Capabilities, detectCapabilities } from '../engines/postgres/capabilities.js';
import type { Queryable } from '../engines/postgres/client.js';
import { quoteIdent } from '../engines/postgres/quote.js';
import { CapabilityError } from '../errors.js';
import { loadParser } from '../sql/parser.js';
import { WorkloadAggregator } from './aggregate.js';
import { ShapeCache } from './aggregate-shape.js';
import type { Workload } from './types.js';

/**
 * pg_stat_statements as a workload, read through the read-only client. Rows of the same fingerprint (other
 * users, nested and top-level calls, search_path variants) are added up. dbsage's own transaction control and
 * SET statements, catalog-only statements and relation-less pings are left out and counted in `excluded`.
 */

/** Column names of the view, which changed with the extension version. */
export interface PgStatStatementsColumns {
  totalTime: 'total_exec_time' | 'total_time';
  /** `toplevel` exists from extension 1.9 (PostgreSQL 14). */
  hasToplevel: boolean;
}

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a, b] = version.split('.').map(Number);
  if (a === undefined || Number.isNaN(a)) return false;
  return a > major || (a === major && (b ?? 0) >= minor);
}

/**
 * The view's column names. The extension's installed version decides (1.8, shipped with PostgreSQL 13, renamed
 * `total_time` to `total_exec_time`; 1.9, PostgreSQL 14, added `toplevel`), because a cluster upgraded without
 * `ALTER EXTENSION … UPDATE` keeps the old view; without it, the server version decides.
 */
export function pgStatStatementsColumns(
  extensionVersion: string | undefined,
  serverVersionNum: number,
): PgStatStatementsColumns {
  if (extensionVersion) {
    return {
      totalTime: versionAtLeast(extensionVersion, 1, 8) ? 'total_exec_time' : 'total_time',
      hasToplevel: versionAtLeast(extensionVersion, 1, 9),
    };
  }
  return {
    totalTime: serverVersionNum >= 130000 ? 'total_exec_time' : 'total_time',
    hasToplevel: serverVersionNum >= 140000,
  };
}

/** Options of {@link readPgStatStatements}. */
export interface PgStatStatementsOptions {
  /** Capabilities already detected (detected here otherwise). */
  capabilities?: Capabilities;
  /** Read statements of every database, not only the connected one (default false). */
  allDatabases?: boolean;
  /** Only top-level statements, leaving out those run inside functions (default false: both count). */
  topLevelOnly?: boolean;
  /** Rows read, heaviest total time first (default 10 000; pg_stat_statements.max defaults to 5 000). */
  limit?: number;
  /** Keep transaction control, SET and catalog-only statements (default false). */
  keepExcluded?: boolean;
  signal?: AbortSignal;
}

interface Row {
  queryid: string | null;
  query: string | null;
  calls: number;
  total_time: number;
  rows: number;
}

/** The statement that reads the view (exported for tests and `--debug` output). */
export function pgStatStatementsSql(
  schema: string,
  columns: PgStatStatementsColumns,
  options: PgStatStatementsOptions,
): string {
  const where = ['s.calls > 0'];
  if (!options.allDatabases) where.push('s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())');
  if (options.topLevelOnly && columns.hasToplevel) where.push('s.toplevel');
  return `SELECT s.queryid::text AS queryid, s.query, s.calls, s.${columns.totalTime} AS total_time, s.rows
FROM ${quoteIdent(schema)}.pg_stat_statements s
WHERE ${where.join(' AND ')}
ORDER BY s.${columns.totalTime} DESC, s.calls DESC
LIMIT $1`;
}

/**
 * Reads pg_stat_statements into a workload. Throws {@link CapabilityError} naming the fix when the extension is
 * not installed in the database or not loaded.
 */
export async function readPgStatStatements(db: Queryable, options: PgStatStatementsOptions = {}): Promise<Workload> {
  const caps = options.capabilities ?? (await detectCapabilities(db));
  const version = caps.installedExtensions.pg_stat_statements;
  if (version === undefined) {
    throw new CapabilityError(
      `pg_stat_statements is not installed in database ${caps.currentDatabase}: run CREATE EXTENSION pg_stat_statements ` +
        '(it must also be in shared_preload_libraries), or pass --workload FILE',
      { extension: 'pg_stat_statements' },
    );
  }
  const schemaRow = await db.query<{ nspname: string }>(
    `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
      WHERE e.extname = 'pg_stat_statements'`,
    [],
    options.signal ? { signal: options.signal } : {},
  );
  const schema = schemaRow.rows[0]?.nspname ?? 'public';
  const columns = pgStatStatementsColumns(version, caps.serverVersionNum);
  const sql = pgStatStatementsSql(schema, columns, options);
  let rows: Row[];
  try {
    rows = (await db.query<Row>(sql, [options.limit ?? 10_000], options.signal ? { signal: options.signal } : {})).rows;
  } catch (error) {
    // 55000: "pg_stat_statements must be loaded via shared_preload_libraries".
    if ((error as { sqlState?: string }).sqlState === '55000') {
      throw new CapabilityError(
        'pg_stat_statements is installed but not loaded: add it to shared_preload_libraries and restart, or pass --workload FILE',
        { extension: 'pg_stat_statements' },
      );
    }
    throw error;
  }
  await loadParser();
  const agg = new WorkloadAggregator();
  const shapes = new ShapeCache();
  agg.read = rows.length;
  for (const r of rows) {
    // NULL text: the query texts file was discarded; '<insufficient privilege>': another role's statement.
    if (r.query === null || r.query === '<insufficient privilege>') {
      agg.skip(
        `queryid ${r.queryid}: ${r.query === null ? 'query text unavailable' : 'insufficient privilege (grant pg_read_all_stats)'}`,
      );
      continue;
    }
    const shape = shapes.shapeOf(r.query);
    if (!shape.ok) {
      agg.skip(`queryid ${r.queryid}: statement does not parse (${shape.message}): ${r.query}`);
      continue;
    }
    // pg_stat_statements keeps one statement per entry; a multi-statement text would be an old server's entry.
    const part = shape.parts[0]!;
    if (part.exclusion !== null && !options.keepExcluded) {
      agg.exclude();
      continue;
    }
    agg.add({
      fingerprint: part.fingerprint,
      query: part.query,
      example: null,
      exampleParams: null,
      calls: Number(r.calls),
      timeMillis: Number(r.total_time),
      rows: Number(r.rows),
      queryId: r.queryid,
    });
  }
  return agg.toWorkload('pg_stat_statements');
}
