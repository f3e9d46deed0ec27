import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Capabilities } from '../engines/postgres/capabilities.js';
import type { Queryable } from '../engines/postgres/client.js';
import { InputError, UsageError } from '../errors.js';
import { type LogFormat, readLogWorkload } from './log.js';
import { readPgStatStatements } from './pg-stat-statements.js';
import { readSqlFileWorkload } from './sql-file.js';
import type { Workload, WorkloadEvent } from './types.js';

/**
 * The one entry point behind the CLI's `--workload` flag: `pgss` (or `pg_stat_statements`) reads the connected
 * database's statistics, a `.sql` file is a hand-written workload, anything else is a PostgreSQL log (`.log`,
 * `.csv`, `.json`, optionally `.gz`; the format is detected from the content).
 */

/** Spellings of the pg_stat_statements source. */
export const PGSS_SPECS = ['pgss', 'pg_stat_statements'] as const;

/** Options of {@link loadWorkload}. */
export interface LoadWorkloadOptions {
  capabilities?: Capabilities;
  /** Log format, when detection should be skipped. */
  logFormat?: LogFormat;
  /** The server's `log_line_prefix`, for exact session fields of a stderr log. */
  logLinePrefix?: string;
  /** Receives every executed statement of a log, in order (N+1 detection). */
  onEvent?: (event: WorkloadEvent) => void;
  signal?: AbortSignal;
}

/** What a `--workload` value names. */
export type WorkloadSpecKind = 'pg_stat_statements' | 'sql-file' | 'log';

/** Classifies a `--workload` value without touching the file system. */
export function workloadSpecKind(spec: string): WorkloadSpecKind {
  if ((PGSS_SPECS as readonly string[]).includes(spec.toLowerCase())) return 'pg_stat_statements';
  return extname(spec).toLowerCase() === '.sql' ? 'sql-file' : 'log';
}

/** Loads a workload from `pgss`, a `.sql` file or a server log. */
export async function loadWorkload(
  spec: string,
  client?: Queryable,
  options: LoadWorkloadOptions = {},
): Promise<Workload> {
  const kind = workloadSpecKind(spec);
  if (kind === 'pg_stat_statements') {
    if (!client)
      throw new UsageError('--workload pgss needs a database connection (a URL, --embedded or DATABASE_URL)');
    return readPgStatStatements(client, {
      ...(options.capabilities ? { capabilities: options.capabilities } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
  try {
    const s = await stat(spec);
    if (!s.isFile()) throw new Error('not a file');
  } catch (error) {
    throw new InputError(
      `cannot read workload ${spec}: ${(error as Error).message}; use pgss, a .sql file or a PostgreSQL log`,
      { cause: error, context: { file: spec } },
    );
  }
  if (kind === 'sql-file') return readSqlFileWorkload(spec);
  return readLogWorkload(spec, {
    ...(options.logFormat ? { format: options.logFormat } : {}),
    ...(options.logLinePrefix ? { logLinePrefix: options.logLinePrefix } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
