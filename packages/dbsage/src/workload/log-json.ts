import type { WorkloadAggregator } from './aggregate.js';
import { forEachLine, type LineOptions } from './log-lines.js';
import { type LogRecord, virtualTransactionIdOrNull } from './log-record.js';

/**
 * jsonlog (`log_destination = jsonlog`, PostgreSQL 15+): one JSON object per line with `error_severity`,
 * `message`, `detail`, `timestamp`, `pid`, `session_id`, `application_name`, `query_id` and more. A line that is
 * not a JSON object with a message is counted as skipped.
 */

interface JsonLogEntry {
  timestamp?: string;
  user?: string;
  dbname?: string;
  pid?: number;
  session_id?: string;
  vxid?: string;
  txid?: number | string;
  error_severity?: string;
  message?: string;
  detail?: string;
  application_name?: string;
  query_id?: number | string;
}

const QUERY_ID = /"query_id":\s*(-?\d+)/;

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Reads a jsonlog, calling `onRecord` per entry. */
export async function readJsonLog(
  source: AsyncIterable<Buffer | string>,
  agg: WorkloadAggregator,
  onRecord: (record: LogRecord) => void,
  options: LineOptions = {},
): Promise<void> {
  const lines = await forEachLine(
    source,
    (line, lineNo) => {
      if (line.trim() === '') return;
      let entry: JsonLogEntry;
      try {
        entry = JSON.parse(line) as JsonLogEntry;
      } catch {
        agg.skip(`line ${lineNo}: ${line}`);
        return;
      }
      if (entry === null || typeof entry !== 'object' || typeof entry.message !== 'string') {
        agg.skip(`line ${lineNo}: ${line}`);
        return;
      }
      // query_id is a 64-bit integer: JSON.parse would round it, so it is read from the text.
      const queryId = entry.query_id === undefined ? null : (QUERY_ID.exec(line)?.[1] ?? null);
      onRecord({
        line: lineNo,
        severity: str(entry.error_severity) ?? '',
        message: entry.message,
        detail: str(entry.detail),
        prefix: null,
        fields: {
          timestamp: str(entry.timestamp),
          pid: typeof entry.pid === 'number' ? entry.pid : null,
          sessionId: str(entry.session_id),
          applicationName: str(entry.application_name),
          user: str(entry.user),
          database: str(entry.dbname),
          virtualTransactionId: virtualTransactionIdOrNull(str(entry.vxid)),
          transactionId: entry.txid === undefined || String(entry.txid) === '0' ? null : String(entry.txid),
        },
        queryId: queryId === '0' ? null : queryId,
      });
    },
    { ...options, onOversize: (lineNo, head) => agg.skip(`line ${lineNo}: line longer than the limit: ${head}`) },
  );
  agg.read += lines;
}
