import type { SqlSyntaxError } from '../errors.js';

/**
 * A workload: normalized statements with weights. Sources (pg_stat_statements, .sql files, server logs) all
 * produce this, and the advisor, N+1 detector and cache advice consume it.
 */

/** Where a workload came from. */
export type WorkloadSource = 'pg_stat_statements' | 'sql-file' | 'log' | 'replay';

/** One statement shape with its weight. */
export interface WorkloadStatement {
  /** libpg-query fingerprint (shape identity across constants). */
  fingerprint: string;
  /** Normalized text with $n placeholders. */
  query: string;
  /** One real example with constants, when the source had one (logs, files). */
  example: string | null;
  /**
   * Parameter values of the example when it came with bind parameters (logs' DETAIL: parameters), in `$n` order;
   * `null` marks a SQL NULL parameter.
   */
  exampleParams: (string | null)[] | null;
  calls: number;
  totalTimeMillis: number;
  meanTimeMillis: number;
  rows: number;
  /** pg_stat_statements queryid, when known. */
  queryId: string | null;
  /** Where in a file it came from, for `file:line:col` reporting. */
  location: { file: string; line: number; column: number } | null;
}

/** A workload with what was skipped while reading it. */
export interface Workload {
  source: WorkloadSource | 'none';
  statements: WorkloadStatement[];
  /** Lines or statements that could not be read, with a few samples. */
  skipped: { count: number; samples: string[] };
  /** Total lines/entries read from the source. */
  read: number;
  /**
   * Statements recognised and left out on purpose (transaction control, SET/SHOW, statements that touch only
   * system catalogs): they would crowd the top of the workload without being anything an index could help.
   */
  excluded?: number;
  /** Syntax errors of a `.sql` workload file, each with file:line:col; the good statements are still used. */
  errors?: readonly SqlSyntaxError[];
}

/**
 * One executed statement from a log that carries session or trace ids, in log order. The N+1 detector reads a
 * stream of these: consecutive statements of one session (or trace) with the same fingerprint form a loop.
 */
export interface WorkloadEvent {
  /** Backend session: the log's `%c` session id when present, else `pid:<pid>`; null when the log has neither. */
  sessionId: string | null;
  /** Request trace id from a `/* trace_id=… *\/` or sqlcommenter `traceparent` comment, when present. */
  traceId: string | null;
  /** Backend process id, when the log line carries it. */
  pid: number | null;
  /** Log timestamp as written (`%m`/`%t`, csv/json `timestamp`). */
  timestamp: string | null;
  /** The timestamp as epoch milliseconds when it could be read (numeric offsets, UTC/GMT), else null. */
  timestampMillis: number | null;
  applicationName: string | null;
  /**
   * `%v` / csvlog / jsonlog virtual transaction id: statements of one explicit transaction share it. Null for
   * autocommit simple-protocol statements, which PostgreSQL logs after their transaction has ended.
   */
  virtualTransactionId: string | null;
  /** `%x` / csvlog / jsonlog transaction id of a writing transaction, when logged inside it; else null. */
  transactionId: string | null;
  fingerprint: string;
  /** Normalized text with $n placeholders. */
  query: string;
  /** The statement as executed (constants or $n placeholders). */
  text: string;
  /** Execution time; null when the log line carried none (log_statement without a duration). */
  durationMillis: number | null;
  /** Bind parameters in `$n` order (`null` for SQL NULL); null when the statement had none. */
  params: (string | null)[] | null;
}

/** The empty workload. */
export const EMPTY_WORKLOAD: Workload = Object.freeze({
  source: 'none',
  statements: [],
  skipped: { count: 0, samples: [] },
  read: 0,
});
