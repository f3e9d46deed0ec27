/**
 * One PostgreSQL log entry, whatever the log format (stderr, csvlog, jsonlog), and the parsing of the parts the
 * formats share: `DETAIL:  parameters: …`, session fields of a `log_line_prefix`, trace-id comments.
 */

/** Severities that start a log entry. */
export const PRIMARY_SEVERITIES = [
  'LOG',
  'ERROR',
  'WARNING',
  'NOTICE',
  'INFO',
  'FATAL',
  'PANIC',
  'DEBUG',
  'DEBUG1',
  'DEBUG2',
  'DEBUG3',
  'DEBUG4',
  'DEBUG5',
] as const;

/** Labels of the lines that belong to the entry before them. */
export const SECONDARY_LABELS = ['DETAIL', 'HINT', 'CONTEXT', 'STATEMENT', 'QUERY', 'LOCATION'] as const;

/** Session fields of a log entry; every field is null when the log does not carry it. */
export interface LogSessionFields {
  /** As written in the log. */
  timestamp: string | null;
  pid: number | null;
  /** `%c`: process start time and pid in hex, unique per backend session. */
  sessionId: string | null;
  applicationName: string | null;
  user: string | null;
  database: string | null;
  /**
   * `%v`: backend id / local transaction number, one per transaction (read-only ones included), when the line
   * was written inside the transaction: statements of explicit transactions and extended-protocol executes.
   * Null for an autocommit simple-protocol statement, whose duration line comes after its transaction ended.
   */
  virtualTransactionId: string | null;
  /** `%x`: the transaction id, assigned only to transactions that write (null for 0). */
  transactionId: string | null;
}

/** A log entry: its severity, message and detail, and where its session fields come from. */
export interface LogRecord {
  /** 1-based line (stderr, jsonlog) or record number (csvlog) where the entry starts. */
  line: number;
  severity: string;
  message: string;
  detail: string | null;
  /** stderr: the text before the severity marker, parsed into session fields only when they are needed. */
  prefix: string | null;
  /** csvlog/jsonlog: the session fields, already separate. */
  fields: LogSessionFields | null;
  /** `query_id` (csvlog/jsonlog, PostgreSQL 14+ with compute_query_id), when not 0. */
  queryId: string | null;
}

/** A virtual transaction id, or null when there is none (`''`, or `3/0` outside a transaction). */
export function virtualTransactionIdOrNull(value: string | null | undefined): string | null {
  return value === null || value === undefined || value === '' || value.endsWith('/0') ? null : value;
}

/** The session fields when nothing is known. */
export const NO_SESSION_FIELDS: LogSessionFields = Object.freeze({
  timestamp: null,
  pid: null,
  sessionId: null,
  applicationName: null,
  user: null,
  database: null,
  virtualTransactionId: null,
  transactionId: null,
});

const PARAM = /\$(\d+) = (?:NULL|'((?:[^']|'')*)'(?:\.\.\.)?)(?:, |$)/y;

/**
 * Parses `parameters: $1 = '42', $2 = NULL` (the DETAIL of an extended-protocol statement) into values in `$n`
 * order, or null when the detail is not a parameter list. Values truncated by `log_parameter_max_length` keep
 * the part that was logged.
 */
export function parseParameters(detail: string | null): (string | null)[] | null {
  if (detail === null || !detail.startsWith('parameters: ')) return null;
  const values: (string | null)[] = [];
  PARAM.lastIndex = 12;
  for (;;) {
    const start = PARAM.lastIndex;
    if (start >= detail.length) break;
    const m = PARAM.exec(detail);
    if (!m) return values.length > 0 ? values : null;
    values[Number(m[1]) - 1] = m[2] === undefined ? null : m[2].replaceAll("''", "'");
  }
  for (let i = 0; i < values.length; i++) if (values[i] === undefined) values[i] = null;
  return values;
}

const COMMENT = /\/\*[\s\S]*?\*\/|--[^\n]*/g;
const TRACEPARENT = /traceparent\s*=\s*'?[0-9a-f]{2}-([0-9a-f]{32})-/i;
const TRACE_ID = /\btrace[_-]?id\s*[=:]\s*'?([A-Za-z0-9._:-]+)/i;

/**
 * The request trace id a statement carries in a comment: sqlcommenter's `traceparent='00-<trace>-<span>-01'`, or
 * `trace_id=…` / `trace-id: …`. Only comments are searched, so a `trace_id` column is never mistaken for one.
 */
export function traceIdOf(sql: string): string | null {
  if (!sql.includes('/*') && !sql.includes('--')) return null;
  for (const m of sql.matchAll(COMMENT)) {
    const c = m[0];
    const tp = TRACEPARENT.exec(c);
    if (tp) return tp[1]!.toLowerCase();
    const id = TRACE_ID.exec(c);
    if (id) return id[1]!;
  }
  return null;
}

const MONTH_TS = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?: ?(UTC|GMT|Z|[+-]\d{2}(?::?\d{2})?))?$/;

/**
 * A log timestamp as epoch milliseconds: `%m`/`%t` with UTC/GMT or a numeric offset, ISO 8601 (jsonlog), or
 * `%n` epoch seconds. Named zones other than UTC/GMT are ambiguous (CST) and give null.
 */
export function timestampMillis(ts: string | null): number | null {
  if (ts === null) return null;
  if (/^\d+(\.\d+)?$/.test(ts)) return Math.round(Number(ts) * 1000);
  const m = MONTH_TS.exec(ts.trim());
  if (!m) return null;
  const zone = m[8];
  if (zone === undefined) return null;
  const ms = m[7] ? Math.round(Number(m[7]) * 1000) : 0;
  let t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms);
  if (zone[0] === '+' || zone[0] === '-') {
    const digits = zone.slice(1).replace(':', '');
    const offset = Number(digits.slice(0, 2)) * 60 + (digits.length > 2 ? Number(digits.slice(2, 4)) : 0);
    t -= (zone[0] === '+' ? 1 : -1) * offset * 60_000;
  }
  return t;
}

// ---------------------------------------------------------------------------------------------------------------
// log_line_prefix

type PrefixField = keyof LogSessionFields;

const TIMESTAMP_RE = String.raw`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?(?: [A-Za-z0-9+:\-]+)?`;

/** What each `log_line_prefix` escape looks like, and which session field it fills. */
const ESCAPES: Record<string, { re: string; field?: PrefixField }> = {
  a: { re: '(.*?)', field: 'applicationName' },
  u: { re: '(.*?)', field: 'user' },
  d: { re: '(.*?)', field: 'database' },
  r: { re: '(.*?)' },
  h: { re: '(.*?)' },
  L: { re: '(.*?)' },
  b: { re: '(.*?)' },
  i: { re: '(.*?)' },
  e: { re: '(.*?)' },
  p: { re: String.raw`(\d+)`, field: 'pid' },
  P: { re: String.raw`(\d*)` },
  l: { re: String.raw`(\d+)` },
  Q: { re: String.raw`(-?\d*)` },
  c: { re: String.raw`([0-9a-f]+\.[0-9a-f]+)`, field: 'sessionId' },
  t: { re: `(${TIMESTAMP_RE})`, field: 'timestamp' },
  m: { re: `(${TIMESTAMP_RE})`, field: 'timestamp' },
  s: { re: `(${TIMESTAMP_RE})` },
  n: { re: String.raw`(\d+(?:\.\d+)?)`, field: 'timestamp' },
  v: { re: String.raw`(\d+/\d+|)`, field: 'virtualTransactionId' },
  x: { re: String.raw`(\d+)`, field: 'transactionId' },
};

/** A compiled `log_line_prefix`: matches the text before the severity marker and reads the session fields. */
export interface CompiledPrefix {
  readonly source: string;
  parse(prefix: string): LogSessionFields | null;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Compiles the server's `log_line_prefix` (e.g. `'%m [%p] %q%u@%d/%a '`) into a parser of its session fields.
 * `%q` makes the rest optional (background processes stop there); padding such as `%-10a` is accepted.
 */
export function compileLogLinePrefix(logLinePrefix: string): CompiledPrefix {
  let re = '^';
  let optionalGroups = 0;
  const fields: (PrefixField | undefined)[] = [];
  for (let i = 0; i < logLinePrefix.length; i++) {
    const ch = logLinePrefix[i]!;
    if (ch !== '%') {
      re += escapeRegExp(ch);
      continue;
    }
    let j = i + 1;
    while (j < logLinePrefix.length && /[-0-9]/.test(logLinePrefix[j]!)) j++;
    const padded = j > i + 1;
    const code = logLinePrefix[j];
    i = j;
    if (code === undefined) break;
    if (code === '%') {
      re += '%';
    } else if (code === 'q') {
      re += '(?:';
      optionalGroups++;
    } else {
      const e = ESCAPES[code];
      if (!e) {
        re += '(?:.*?)';
        continue;
      }
      re += padded ? ` *${e.re} *` : e.re;
      fields.push(e.field);
    }
  }
  re += ')?'.repeat(optionalGroups) + '$';
  const regex = new RegExp(re);
  return {
    source: logLinePrefix,
    parse(prefix: string): LogSessionFields | null {
      const m = regex.exec(prefix);
      if (!m) return null;
      const out: { -readonly [K in keyof LogSessionFields]: LogSessionFields[K] } = { ...NO_SESSION_FIELDS };
      for (let k = 0; k < fields.length; k++) {
        const field = fields[k];
        const value = m[k + 1];
        if (field === undefined || value === undefined || value === '') continue;
        if (field === 'pid') out.pid = Number(value);
        else if (field === 'transactionId' && value === '0') continue;
        else if (field === 'virtualTransactionId') out.virtualTransactionId = virtualTransactionIdOrNull(value);
        else out[field] = value;
      }
      return out;
    },
  };
}

const HEURISTIC_TS = new RegExp(`(?:^|[^0-9])(${TIMESTAMP_RE})`);
const HEURISTIC_PID = /\[(\d+)(?:-\d+)?\]|\bpid=(\d+)/;
// %c: process start time (8 hex digits for any date after 1978) and pid in hex.
const HEURISTIC_SESSION = /(?:^|[^0-9a-f.])([0-9a-f]{8}\.[0-9a-f]{1,8})(?![0-9a-f.])/;
const HEURISTIC_APP = /\bapp(?:lication(?:_name)?)?=([^\s,\]]+)/;
const HEURISTIC_USER_DB = /\b(?:user=([^\s,]+)[, ]+db=([^\s,]+))/;

/**
 * Session fields of a prefix when the server's `log_line_prefix` is not known: the common shapes — a timestamp,
 * `[pid]` or `[pid-line]`, a `%c` session id, `app=`, `user=…,db=…`.
 */
export function guessPrefixFields(prefix: string): LogSessionFields {
  const ts = HEURISTIC_TS.exec(prefix);
  const rest = ts ? prefix.slice(0, ts.index) + prefix.slice(ts.index + ts[0].length) : prefix;
  const pid = HEURISTIC_PID.exec(rest);
  const session = HEURISTIC_SESSION.exec(rest);
  const app = HEURISTIC_APP.exec(rest);
  const userDb = HEURISTIC_USER_DB.exec(rest);
  return {
    timestamp: ts ? ts[1]! : null,
    pid: pid ? Number(pid[1] ?? pid[2]) : null,
    sessionId: session ? session[1]! : null,
    applicationName: app ? app[1]! : null,
    user: userDb ? userDb[1]! : null,
    database: userDb ? userDb[2]! : null,
    virtualTransactionId: null,
    transactionId: null,
  };
}
