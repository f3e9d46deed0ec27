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
  /** Parameter values of the example when it came with bind parameters (logs' DETAIL: parameters). */
  exampleParams: string[] | null;
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
}

/** The empty workload. */
export const EMPTY_WORKLOAD: Workload = Object.freeze({
  source: 'none',
  statements: [],
  skipped: { count: 0, samples: [] },
  read: 0,
});
