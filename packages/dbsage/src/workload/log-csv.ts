import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { WorkloadAggregator } from './aggregate.js';
import { type LogRecord, virtualTransactionIdOrNull } from './log-record.js';

/**
 * csvlog (`log_destination = csvlog`): one RFC 4180 record per entry, quoted fields may span lines. The columns
 * are fixed by PostgreSQL (see "Using CSV-Format Log Output" in the server docs); PostgreSQL 13 added
 * backend_type, 14 leader_pid and query_id. Parsing is done by csv-parse, streaming.
 */

/** Column positions of the csvlog format (0-based), PostgreSQL 13–18. */
export const CSVLOG_COLUMNS = {
  logTime: 0,
  userName: 1,
  databaseName: 2,
  processId: 3,
  sessionId: 5,
  virtualTransactionId: 9,
  transactionId: 10,
  errorSeverity: 11,
  message: 13,
  detail: 14,
  applicationName: 22,
  queryId: 25,
} as const;

/** Longest record accepted (characters); beyond it the record is skipped rather than buffered. */
const MAX_RECORD_CHARS = 32 * 1024 * 1024;

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

/** Reads a csvlog, calling `onRecord` per entry; malformed records are counted as skipped. */
export async function readCsvLog(
  source: AsyncIterable<Buffer | string>,
  agg: WorkloadAggregator,
  onRecord: (record: LogRecord) => void,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  const parser = parse({
    relax_column_count: true,
    relax_quotes: false,
    skip_records_with_error: true,
    max_record_size: MAX_RECORD_CHARS,
    bom: true,
    info: true,
    on_skip: (error) => {
      agg.read++;
      agg.skip(`record: ${error?.message ?? 'malformed CSV'}`);
      return undefined;
    },
  });
  const input = Readable.from(source);
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);
  const c = CSVLOG_COLUMNS;
  for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    options.signal?.throwIfAborted();
    const f = item.record;
    agg.read++;
    if (f.length <= c.message || !/^\d{4}-\d{2}-\d{2} /.test(f[c.logTime] ?? '')) {
      agg.skip(`line ${item.info.lines}: not a csvlog record: ${f.join(',')}`);
      continue;
    }
    const pid = Number(f[c.processId]);
    const queryId = nonEmpty(f[c.queryId]);
    onRecord({
      line: item.info.lines,
      severity: f[c.errorSeverity] ?? '',
      message: f[c.message] ?? '',
      detail: nonEmpty(f[c.detail]),
      prefix: null,
      fields: {
        timestamp: nonEmpty(f[c.logTime]),
        pid: Number.isInteger(pid) && pid > 0 ? pid : null,
        sessionId: nonEmpty(f[c.sessionId]),
        applicationName: nonEmpty(f[c.applicationName]),
        user: nonEmpty(f[c.userName]),
        database: nonEmpty(f[c.databaseName]),
        virtualTransactionId: virtualTransactionIdOrNull(f[c.virtualTransactionId]),
        transactionId: f[c.transactionId] === '0' ? null : nonEmpty(f[c.transactionId]),
      },
      queryId: queryId === '0' ? null : queryId,
    });
  }
}
