import type { WorkloadAggregator } from './aggregate.js';
import { forEachLine, type LineOptions } from './log-lines.js';
import { type LogRecord, virtualTransactionIdOrNull } from './log-record.js';

/**
 * csvlog (`log_destination = csvlog`): one RFC 4180 record per entry, quoted fields may span lines. The columns
 * are fixed by PostgreSQL (see "Using CSV-Format Log Output" in the server docs); PostgreSQL 13 added
 * backend_type, 14 leader_pid and query_id.
 *
 * The reader is written here rather than taken from a CSV library because of one need a log has and a data
 * file does not: getting back in step after garbage. A stray quote in a corrupt line would otherwise swallow
 * every good record after it (csv-parse loses the next record even with skip_records_with_error). Here, a
 * malformed record is skipped at the end of its line, and a quoted field left open is abandoned as soon as a
 * line that is a complete csvlog record by itself comes along.
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

/** Fewest columns a csvlog record has (PostgreSQL 12 and older had 23). */
const MIN_COLUMNS = 23;
/** Longest record kept (characters); a longer one is skipped, not buffered. */
const MAX_RECORD_CHARS = 32 * 1024 * 1024;
const RECORD_START = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/;

/** Parser state across the lines of one record. */
interface CsvState {
  fields: string[];
  field: string;
  /** Inside a quoted field that continues on the next line. */
  open: boolean;
  malformed: string | null;
  chars: number;
}

function newState(): CsvState {
  return { fields: [], field: '', open: false, malformed: null, chars: 0 };
}

/**
 * Continues a record with one line. Returns when the line is consumed: the record is then complete
 * (`open` false), still inside a quoted field (`open` true), or `malformed`.
 */
function scanLine(state: CsvState, line: string, keep: boolean): void {
  let i = 0;
  const n = line.length;
  if (state.open) {
    if (keep) state.field += '\n';
  } else if (n === 0) {
    state.fields.push('');
    return;
  }
  for (;;) {
    if (state.open) {
      const q = line.indexOf('"', i);
      if (q === -1) {
        if (keep) state.field += line.slice(i);
        return;
      }
      if (keep) state.field += line.slice(i, q);
      if (line.charCodeAt(q + 1) === 34) {
        if (keep) state.field += '"';
        i = q + 2;
        continue;
      }
      state.open = false;
      i = q + 1;
      if (i === n) {
        state.fields.push(state.field);
        state.field = '';
        return;
      }
      if (line.charCodeAt(i) !== 44) {
        state.malformed = `character after a closing quote at column ${i + 1}`;
        return;
      }
      state.fields.push(state.field);
      state.field = '';
      i++;
      if (i === n) {
        state.fields.push('');
        return;
      }
      continue;
    }
    // Start of a field.
    if (line.charCodeAt(i) === 34) {
      state.open = true;
      i++;
      continue;
    }
    const comma = line.indexOf(',', i);
    const value = comma === -1 ? line.slice(i) : line.slice(i, comma);
    if (value.includes('"')) {
      state.malformed = `quote inside an unquoted field at column ${i + value.indexOf('"') + 1}`;
      return;
    }
    state.fields.push(value);
    if (comma === -1) return;
    i = comma + 1;
    if (i === n) {
      state.fields.push('');
      return;
    }
  }
}

/** True when the line alone is a complete csvlog record (used to get back in step after an open quote). */
function isCompleteRecord(line: string): boolean {
  if (!RECORD_START.test(line)) return false;
  const s = newState();
  scanLine(s, line, false);
  return !s.open && s.malformed === null && s.fields.length >= MIN_COLUMNS;
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

function toRecord(f: string[], line: number): LogRecord {
  const c = CSVLOG_COLUMNS;
  const pid = Number(f[c.processId]);
  const queryId = nonEmpty(f[c.queryId]);
  return {
    line,
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
  };
}

/**
 * Reads a csvlog, calling `onRecord` per entry. Malformed records, records that are not csvlog entries and
 * records left open by a stray quote are counted as skipped; `read` counts lines.
 */
export async function readCsvLog(
  source: AsyncIterable<Buffer | string>,
  agg: WorkloadAggregator,
  onRecord: (record: LogRecord) => void,
  options: LineOptions = {},
): Promise<void> {
  let state: CsvState | null = null;
  let startLine = 0;
  let head = '';
  const finish = (s: CsvState) => {
    if (s.malformed !== null) {
      agg.skip(`line ${startLine}: malformed CSV (${s.malformed}): ${head}`);
    } else if (s.chars > MAX_RECORD_CHARS) {
      agg.skip(`line ${startLine}: record longer than ${MAX_RECORD_CHARS} characters`);
    } else if (s.fields.length < MIN_COLUMNS || !RECORD_START.test(s.fields[0] ?? '')) {
      agg.skip(`line ${startLine}: not a csvlog record: ${head}`);
    } else {
      onRecord(toRecord(s.fields, startLine));
    }
  };
  const lines = await forEachLine(
    source,
    (line, lineNo) => {
      if (state?.open && isCompleteRecord(line)) {
        // A quote opened earlier never closed: give that record up and start again here.
        agg.skip(`line ${startLine}: unclosed quote: ${head}`);
        state = null;
      }
      if (state === null) {
        if (line.length === 0) return;
        state = newState();
        startLine = lineNo;
        head = line.slice(0, 200);
      }
      state.chars += line.length + 1;
      scanLine(state, line, state.chars <= MAX_RECORD_CHARS);
      if (state.malformed !== null || !state.open) {
        finish(state);
        state = null;
      }
    },
    { ...options, onOversize: (lineNo, start) => agg.skip(`line ${lineNo}: line longer than the limit: ${start}`) },
  );
  if (state !== null) agg.skip(`line ${startLine}: unclosed quote at the end of the log: ${head}`);
  agg.read += lines;
}
