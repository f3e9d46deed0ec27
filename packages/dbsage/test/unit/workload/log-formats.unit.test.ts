import { beforeAll, describe, expect, it } from 'vitest';
import { fingerprintSql, loadParser } from '../../../src/sql/parser.js';
import { WorkloadAggregator } from '../../../src/workload/aggregate.js';
import { ShapeCache } from '../../../src/workload/aggregate-shape.js';
import { detectLogFormat } from '../../../src/workload/log.js';
import { readCsvLog } from '../../../src/workload/log-csv.js';
import { LogInterpreter } from '../../../src/workload/log-interpret.js';
import { readJsonLog } from '../../../src/workload/log-json.js';
import { forEachLine } from '../../../src/workload/log-lines.js';
import { compileLogLinePrefix } from '../../../src/workload/log-record.js';
import { findMarker, readStderrLog } from '../../../src/workload/log-stderr.js';
import type { Workload, WorkloadEvent } from '../../../src/workload/types.js';

beforeAll(() => loadParser());

/** The text as a stream of byte chunks of `size` (cutting multi-byte characters apart when size is small). */
async function* chunked(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function ingest(
  text: string,
  format: 'stderr' | 'csvlog' | 'jsonlog' = 'stderr',
  options: { chunk?: number; prefix?: string; events?: WorkloadEvent[] } = {},
): Promise<Workload> {
  const agg = new WorkloadAggregator();
  const events = options.events;
  const interpreter = new LogInterpreter(agg, new ShapeCache(), {
    ...(options.prefix ? { logLinePrefix: compileLogLinePrefix(options.prefix) } : {}),
    ...(events ? { onEvent: (e: WorkloadEvent) => events.push(e) } : {}),
  });
  const source = chunked(text, options.chunk ?? 65536);
  const onRecord = interpreter.handle.bind(interpreter);
  if (format === 'csvlog') await readCsvLog(source, agg, onRecord);
  else if (format === 'jsonlog') await readJsonLog(source, agg, onRecord);
  else await readStderrLog(source, agg, onRecord);
  return agg.toWorkload('log');
}

const calls = (w: Workload) =>
  Object.fromEntries(w.statements.map((s) => [s.query, [s.calls, Math.round(s.totalTimeMillis * 1000) / 1000]]));

describe('stderr log', () => {
  const P = '2024-05-01 10:00:00.123 UTC [4242] app@shop/web ';
  const Q = '2024-05-01 10:00:00.456 UTC [4243] app@shop/api ';
  const LOG = [
    `${P}LOG:  duration: 1.000 ms  statement: SELECT * FROM users WHERE id = 1`,
    `${P}LOG:  duration: 2.000 ms  statement: SELECT *`,
    '\t  FROM users',
    "\t WHERE id = 2 AND name = 'é日本'",
    `${Q}LOG:  duration: 0.100 ms  parse <unnamed>: SELECT * FROM orders WHERE user_id = $1`,
    `${Q}LOG:  duration: 0.200 ms  bind <unnamed>: SELECT * FROM orders WHERE user_id = $1`,
    `${Q}DETAIL:  parameters: $1 = '7'`,
    `${Q}LOG:  duration: 3.000 ms  execute <unnamed>: SELECT * FROM orders WHERE user_id = $1`,
    `${Q}DETAIL:  parameters: $1 = '7'`,
    `${Q}LOG:  duration: 4.000 ms  execute fetch from S_1/C_2: SELECT * FROM orders WHERE user_id = $1`,
    `${Q}ERROR:  relation "nope" does not exist at character 15`,
    `${Q}STATEMENT:  SELECT * FROM nope`,
    `${P}LOG:  duration: 5.000 ms  plan:`,
    '\tQuery Text: SELECT * FROM users WHERE id = 3',
    `${P}LOG:  checkpoint starting: time`,
    `${P}LOG:  duration: 6.000 ms  statement: SELECT count(*) FROM a; UPDATE b SET x = 1 WHERE id = 2`,
    `${P}LOG:  duration: 0.010 ms  statement: BEGIN`,
    '',
  ].join('\n');

  it('reads simple and extended protocol, multi-line statements, fetches and multi-statement messages', async () => {
    const w = await ingest(LOG);
    expect(calls(w)).toEqual({
      'SELECT * FROM users WHERE id = $1': [1, 1],
      'SELECT *\n  FROM users\n WHERE id = $1 AND name = $2': [1, 2],
      'SELECT * FROM orders WHERE user_id = $1': [1, 7],
      'SELECT count(*) FROM a': [1, 3],
      'UPDATE b SET x = $1 WHERE id = $2': [1, 3],
    });
    const orders = w.statements.find((s) => s.query.includes('orders'))!;
    expect(orders.exampleParams).toEqual(['7']);
    const multi = w.statements.find((s) => s.query.includes('name'))!;
    expect(multi.example).toBe("SELECT *\n  FROM users\n WHERE id = 2 AND name = 'é日本'");
    expect(w.skipped.count).toBe(0);
    expect(w.excluded).toBe(1);
    expect(w.read).toBe(17);
  });

  it('gives the same result whatever the chunking (1 byte cuts UTF-8 characters apart) and with CRLF', async () => {
    const whole = calls(await ingest(LOG));
    for (const chunk of [1, 7, 100]) expect(calls(await ingest(LOG, 'stderr', { chunk }))).toEqual(whole);
    expect(calls(await ingest(LOG.replaceAll('\n', '\r\n'), 'stderr', { chunk: 3 }))).toEqual(whole);
  });

  it('finds entries behind any prefix: none, pgbadger style, syslog-like', async () => {
    const lines = (prefix: string) =>
      `${prefix}LOG:  duration: 1.5 ms  statement: SELECT v FROM t WHERE k = 'a'\n${prefix}LOG:  duration: 0.5 ms  statement: SELECT v FROM t WHERE k = 'b'\n`;
    for (const prefix of [
      '',
      '2024-05-01 10:00:00 UTC:10.0.0.7(51234):app@shop:[99]: ',
      'May  1 10:00:00 db1 postgres[99]: [3-1] ',
    ]) {
      expect(calls(await ingest(lines(prefix))), prefix).toEqual({ 'SELECT v FROM t WHERE k = $1': [2, 2] });
    }
  });

  it('counts garbage, orphan and unparseable lines as skipped, with samples, and keeps the rest', async () => {
    const w = await ingest(
      [
        '\tcontinuation before any entry',
        `${P}DETAIL:  parameters: $1 = '1'`,
        `${P}LOG:  duration: 1.000 ms  statement: SELECT * FROM users WHERE id = 1`,
        '*** stack smashing detected ***',
        `${P}LOG:  duration: 1.000 ms  statement: SELEC oops`,
        `${P}LOG:  duration: x ms  statement: SELECT 1`,
        `${P}LOG:  duration: 1.000 ms  statement: SELECT * FROM users WHERE id = 2`,
      ].join('\n'),
    );
    expect(calls(w)).toEqual({ 'SELECT * FROM users WHERE id = $1': [2, 2] });
    expect(w.skipped.count).toBe(5);
    expect(w.skipped.samples).toEqual([
      'line 1: continuation line without an entry: \tcontinuation before any entry',
      `line 2: DETAIL without an entry: ${P}DETAIL:  parameters: $1 = '1'`,
      'line 4: *** stack smashing detected ***',
      'line 5: statement does not parse (syntax error at or near "SELEC"): SELEC oops',
      'line 6: unreadable duration: duration: x ms  statement: SELECT 1',
    ]);
  });

  it('pairs log_statement lines with the later bare duration of the same session', async () => {
    const w = await ingest(
      [
        `${P}LOG:  statement: SELECT * FROM users WHERE id = 1`,
        `${Q}LOG:  execute <unnamed>: SELECT * FROM orders WHERE user_id = $1`,
        `${Q}DETAIL:  parameters: $1 = '3'`,
        `${Q}LOG:  duration: 2.500 ms`,
        `${P}LOG:  duration: 1.250 ms`,
      ].join('\n'),
    );
    expect(calls(w)).toEqual({
      'SELECT * FROM users WHERE id = $1': [1, 1.25],
      'SELECT * FROM orders WHERE user_id = $1': [1, 2.5],
    });
    expect(w.statements.find((s) => s.query.includes('orders'))!.exampleParams).toEqual(['3']);
  });

  it('emits per-session events in log order with the compiled prefix, trace ids and parameters', async () => {
    const events: WorkloadEvent[] = [];
    await ingest(
      [
        `${P}LOG:  duration: 1.000 ms  statement: SELECT * FROM users WHERE id = 1 /* trace_id=r1 */`,
        `${Q}LOG:  duration: 3.000 ms  execute <unnamed>: SELECT * FROM orders WHERE user_id = $1`,
        `${Q}DETAIL:  parameters: $1 = NULL`,
        `${P}LOG:  duration: 1.000 ms  statement: SELECT * FROM users WHERE id = 2 /* trace_id=r1 */`,
      ].join('\n'),
      'stderr',
      { prefix: '%m [%p] %q%u@%d/%a ', events },
    );
    expect(events.map((e) => [e.sessionId, e.traceId, e.applicationName, e.params, e.durationMillis])).toEqual([
      ['pid:4242', 'r1', 'web', null, 1],
      ['pid:4243', null, 'api', [null], 3],
      ['pid:4242', 'r1', 'web', null, 1],
    ]);
    expect(events[0]).toMatchObject({
      pid: 4242,
      timestamp: '2024-05-01 10:00:00.123 UTC',
      timestampMillis: Date.UTC(2024, 4, 1, 10, 0, 0, 123),
      fingerprint: fingerprintSql('SELECT * FROM users WHERE id = 1'),
      query: 'SELECT * FROM users WHERE id = $1',
      text: 'SELECT * FROM users WHERE id = 1 /* trace_id=r1 */',
    });
  });

  it('finds the severity marker, not a look-alike', () => {
    expect(findMarker('x [1] LOG:  duration: 1 ms')).toEqual({ label: 'LOG', index: 6 });
    expect(findMarker('app=myLOG:  x')).toBeNull();
    expect(findMarker('NOTLOG:  x')).toBeNull();
    expect(findMarker('2024 [1] ERROR:  x LOG:  y')).toEqual({ label: 'ERROR', index: 9 });
  });
});

describe('csvlog', () => {
  /** A PostgreSQL 15 csvlog record (26 columns). */
  const rec = (severity: string, message: string, detail = '', session = '663212f0.1092', queryId = '0') =>
    [
      '2024-05-01 10:00:00.123 UTC',
      '"app"',
      '"shop"',
      '4242',
      '"127.0.0.1:5000"',
      session,
      '1',
      '"SELECT"',
      '2024-05-01 09:59:00 UTC',
      '3/7',
      '0',
      severity,
      '00000',
      `"${message.replaceAll('"', '""')}"`,
      detail ? `"${detail.replaceAll('"', '""')}"` : '',
      '',
      '',
      '',
      '',
      '',
      '',
      '',
      '"web"',
      '"client backend"',
      '',
      queryId,
    ].join(',');

  it('reads records with multi-line quoted fields, parameters and query ids; skips malformed records', async () => {
    const text = [
      rec('LOG', 'duration: 1.000 ms  statement: SELECT "id"\nFROM users\nWHERE id = 1', '', '663212f0.1092', '-77'),
      rec(
        'LOG',
        'duration: 2.000 ms  execute <unnamed>: SELECT * FROM orders WHERE note = $1',
        "parameters: $1 = 'a\"b'",
      ),
      'this is, not "a csvlog record',
      rec('ERROR', 'relation "x" does not exist'),
      'short,record',
      rec('LOG', 'duration: 3.000 ms  statement: SELECT "id"\nFROM users\nWHERE id = 2'),
      '',
    ].join('\n');
    const events: WorkloadEvent[] = [];
    const w = await ingest(text, 'csvlog', { events });
    expect(calls(w)).toEqual({
      'SELECT "id"\nFROM users\nWHERE id = $1': [2, 4],
      'SELECT * FROM orders WHERE note = $1': [1, 2],
    });
    expect(w.statements.find((s) => s.query.includes('orders'))!.exampleParams).toEqual(['a"b']);
    expect(w.statements.find((s) => s.query.includes('users'))!.queryId).toBe('-77');
    expect(w.skipped.samples).toEqual([
      'line 5: malformed CSV (quote inside an unquoted field at column 14): this is, not "a csvlog record',
      'line 7: not a csvlog record: short,record',
    ]);
    expect(events.map((e) => [e.sessionId, e.pid, e.applicationName, e.virtualTransactionId, e.transactionId])).toEqual(
      [
        ['663212f0.1092', 4242, 'web', '3/7', null],
        ['663212f0.1092', 4242, 'web', '3/7', null],
        ['663212f0.1092', 4242, 'web', '3/7', null],
      ],
    );
  });
  it('gets back in step after a stray quote, and after a quote that never closes', async () => {
    const good = (id: number) => rec('LOG', `duration: 1.000 ms  statement: SELECT * FROM t WHERE id = ${id}`);
    const w = await ingest(
      [good(1), '"x"y,z', good(2), '"garbage with an unclosed quote, and more', 'still inside it', good(3), ''].join(
        '\n',
      ),
      'csvlog',
    );
    expect(calls(w)).toEqual({ 'SELECT * FROM t WHERE id = $1': [3, 3] });
    expect(w.skipped.samples).toEqual([
      'line 2: malformed CSV (character after a closing quote at column 4): "x"y,z',
      'line 4: unclosed quote: "garbage with an unclosed quote, and more',
    ]);
    const tail = await ingest(`${good(1)}\n"never closed\n`, 'csvlog');
    expect(tail.skipped.samples).toEqual(['line 2: unclosed quote at the end of the log: "never closed']);
  });
});

describe('jsonlog', () => {
  it('reads one object per line and skips lines that are not log entries', async () => {
    const entry = (message: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        timestamp: '2024-05-01 10:00:00.123 UTC',
        pid: 7,
        session_id: '663212f0.7',
        error_severity: 'LOG',
        message,
        ...extra,
      });
    const text = [
      entry('duration: 1.000 ms  statement: SELECT * FROM users WHERE id = 1').replace(
        '}',
        ',"query_id":-1234567890123456789}',
      ),
      entry('duration: 2.000 ms  execute <unnamed>: SELECT * FROM users WHERE id = $1', {
        detail: "parameters: $1 = '5'",
      }),
      '{"truncated": ',
      JSON.stringify({ error_severity: 'LOG' }),
      entry('connection received: host=127.0.0.1'),
    ].join('\n');
    const w = await ingest(text, 'jsonlog');
    expect(calls(w)).toEqual({ 'SELECT * FROM users WHERE id = $1': [2, 3] });
    expect(w.statements[0]).toMatchObject({ queryId: '-1234567890123456789', exampleParams: null });
    expect(w.skipped.count).toBe(2);
    expect(w.read).toBe(5);
  });
});

describe('detectLogFormat', () => {
  it('decides from the content, then from the extension', () => {
    expect(detectLogFormat('{"timestamp":"2024-05-01"}\n', 'x.log')).toBe('jsonlog');
    expect(detectLogFormat('2024-05-01 10:00:00.123 UTC,"app","shop",1\n', 'x.log')).toBe('csvlog');
    expect(detectLogFormat('garbage\n2024-05-01 10:00:00 UTC [1] LOG:  x\n', 'x.json')).toBe('stderr');
    expect(detectLogFormat('', 'postgresql.csv.gz')).toBe('csvlog');
    expect(detectLogFormat('', 'postgresql.json')).toBe('jsonlog');
    expect(detectLogFormat('nothing recognisable\n', 'x.log')).toBe('stderr');
  });
});

describe('forEachLine', () => {
  it('reports a line over the limit instead of keeping it, and goes on', async () => {
    const seen: string[] = [];
    const oversize: number[] = [];
    const n = await forEachLine(chunked(`a\n${'x'.repeat(50)}\nb\n`, 8), (l) => seen.push(l), {
      maxLineChars: 20,
      onOversize: (lineNo) => oversize.push(lineNo),
    });
    expect(seen).toEqual(['a', 'b']);
    expect(oversize).toEqual([2]);
    expect(n).toBe(3);
  });
});
