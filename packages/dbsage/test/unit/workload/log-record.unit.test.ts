import { describe, expect, it } from 'vitest';
import {
  compileLogLinePrefix,
  guessPrefixFields,
  parseParameters,
  timestampMillis,
  traceIdOf,
} from '../../../src/workload/log-record.js';

describe('parseParameters', () => {
  it('reads values in $n order: quotes, NULL, separators inside values, truncation', () => {
    expect(parseParameters("parameters: $1 = '42', $2 = NULL, $3 = 'it''s, $4 = x', $4 = 'a\nb'")).toEqual([
      '42',
      null,
      "it's, $4 = x",
      'a\nb',
    ]);
    // log_parameter_max_length cuts a value and appends "...": the logged part is kept.
    expect(parseParameters("parameters: $1 = 'abcdef'...")).toEqual(['abcdef']);
    expect(parseParameters("parameters: $2 = 'b', $1 = 'a'")).toEqual(['a', 'b']);
  });

  it('is null for a detail that is not a parameter list', () => {
    expect(parseParameters(null)).toBeNull();
    expect(parseParameters('prepare: PREPARE q AS SELECT 1')).toBeNull();
    expect(parseParameters('parameters: garbage')).toBeNull();
  });
});

describe('traceIdOf', () => {
  it('reads sqlcommenter traceparent and trace_id comments, only in comments', () => {
    expect(traceIdOf("SELECT 1 /*traceparent='00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01'*/")).toBe(
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
    expect(traceIdOf('SELECT * FROM t /* app=web, trace_id=req-42 */')).toBe('req-42');
    expect(traceIdOf("SELECT * FROM t -- trace-id: 'abc.def'")).toBe('abc.def');
    expect(traceIdOf('SELECT * FROM spans WHERE trace_id = $1')).toBeNull();
    expect(traceIdOf('SELECT 1 /* no id */')).toBeNull();
  });
});

describe('timestampMillis', () => {
  it('reads %m, %t, numeric offsets, ISO and %n; gives null for ambiguous zone names', () => {
    expect(timestampMillis('2024-05-01 10:00:00.123 UTC')).toBe(Date.UTC(2024, 4, 1, 10, 0, 0, 123));
    expect(timestampMillis('2024-05-01 10:00:00 GMT')).toBe(Date.UTC(2024, 4, 1, 10, 0, 0));
    expect(timestampMillis('2024-05-01 15:30:00.5 +05:30')).toBe(Date.UTC(2024, 4, 1, 10, 0, 0, 500));
    expect(timestampMillis('2024-05-01 03:00:00 -07')).toBe(Date.UTC(2024, 4, 1, 10, 0, 0));
    expect(timestampMillis('2024-05-01T10:00:00.000Z')).toBe(Date.UTC(2024, 4, 1, 10, 0, 0));
    expect(timestampMillis('1714557600.250')).toBe(1714557600250);
    expect(timestampMillis('2024-05-01 10:00:00 CEST')).toBeNull();
    expect(timestampMillis(null)).toBeNull();
  });
});

describe('compileLogLinePrefix', () => {
  it("reads the session fields of '%m [%p] %q%u@%d/%a ', with and without the session part", () => {
    const p = compileLogLinePrefix('%m [%p] %q%u@%d/%a ');
    expect(p.parse('2024-05-01 10:00:00.123 UTC [4242] app@shop/web ')).toEqual({
      timestamp: '2024-05-01 10:00:00.123 UTC',
      pid: 4242,
      sessionId: null,
      applicationName: 'web',
      user: 'app',
      database: 'shop',
      virtualTransactionId: null,
      transactionId: null,
    });
    // Background processes stop at %q.
    expect(p.parse('2024-05-01 10:00:00.123 UTC [17] ')).toMatchObject({ pid: 17, user: null, database: null });
    expect(p.parse('something else')).toBeNull();
  });

  it('reads pgbadger-style, %c/%x/%v and padded prefixes', () => {
    expect(
      compileLogLinePrefix('%t:%r:%u@%d:[%p]: ').parse('2024-05-01 10:00:00 UTC:10.0.0.7(51234):app@shop:[99]: '),
    ).toMatchObject({ timestamp: '2024-05-01 10:00:00 UTC', pid: 99, user: 'app', database: 'shop' });
    expect(
      compileLogLinePrefix('%m [%p-%l] %c %x/%v ').parse('2024-05-01 10:00:00.001 UTC [77-3] 663212f0.4d 0/3/12 '),
    ).toMatchObject({ pid: 77, sessionId: '663212f0.4d', transactionId: null, virtualTransactionId: '3/12' });
    expect(compileLogLinePrefix('%x/%v ').parse('731/4/2 ')).toMatchObject({
      transactionId: '731',
      virtualTransactionId: '4/2',
    });
    expect(compileLogLinePrefix('%-8a|%p|').parse('psql    |5|')).toMatchObject({ applicationName: 'psql', pid: 5 });
  });
});

describe('guessPrefixFields', () => {
  it('finds a timestamp, [pid], a %c session id and app= in common prefixes', () => {
    expect(guessPrefixFields('2024-05-01 10:00:00.123 UTC [4242] 663212f0.1092 app=web,user=a,db=b ')).toEqual({
      timestamp: '2024-05-01 10:00:00.123 UTC',
      pid: 4242,
      sessionId: '663212f0.1092',
      applicationName: 'web',
      user: 'a',
      database: 'b',
      virtualTransactionId: null,
      transactionId: null,
    });
    expect(guessPrefixFields('2024-05-01 10:00:00 UTC:127.0.0.1(5432):u@d:[12]: ')).toMatchObject({
      pid: 12,
      sessionId: null,
    });
    expect(guessPrefixFields('user=app db=shop pid=8 ')).toMatchObject({ pid: 8, user: 'app', database: 'shop' });
    expect(guessPrefixFields('')).toMatchObject({ timestamp: null, pid: null, sessionId: null });
  });
});
