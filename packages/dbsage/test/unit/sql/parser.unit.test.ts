import { createRequire } from 'node:module';
import type * as PgQuery from 'libpg-query';
import { beforeAll, describe, expect, it } from 'vitest';
import { fingerprintSql, loadParser, normalizeSql, parseRaw, scanSql } from '../../../src/sql/parser.js';

/** libpg-query's own JavaScript wrapper, the reference for the module calls parser.ts makes itself. */
const reference = createRequire(import.meta.url)('libpg-query') as typeof PgQuery;

const QUERIES = [
  'SELECT 1',
  "SELECT * FROM orders WHERE note = 'é日本;' AND id = $1; UPDATE users SET name = 'x' WHERE id = 2;",
  'CREATE TABLE "Odd;Name" (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, größe text DEFAULT now()::text);',
  'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;',
  'SELEC broken FROM;',
  "SELECT 'ünïcode' FROM t WHERE x = ",
  '   -- only a comment\n',
];

beforeAll(async () => {
  await Promise.all([loadParser(), reference.loadModule()]);
});

describe('parser.ts against the libpg-query wrapper', () => {
  it.each(QUERIES)('parses %j to the same tree or the same error', (sql) => {
    const ours = parseRaw(sql);
    let theirs: { stmts?: unknown[] } | undefined;
    let error: { message: string; cursorPosition: number } | undefined;
    try {
      theirs = reference.parseSync(sql) as { stmts?: unknown[] };
    } catch (e) {
      error = (e as { sqlDetails: { message: string; cursorPosition: number } }).sqlDetails;
    }
    if (error) expect(ours).toEqual({ ok: false, failure: { message: error.message, cursor: error.cursorPosition } });
    else expect(ours).toEqual({ ok: true, stmts: theirs?.stmts ?? [] });
  });

  it('reports an empty query as the wrapper does', () => {
    expect(parseRaw('')).toEqual({ ok: false, failure: { message: 'Query cannot be empty', cursor: 0 } });
    expect(() => reference.parseSync('')).toThrow('Query cannot be empty');
  });

  it.each(QUERIES.filter((q) => !/SELEC |= $/.test(q) && q.trim() !== '-- only a comment'))(
    'normalizes, fingerprints and scans %j the same',
    (sql) => {
      expect(normalizeSql(sql)).toBe(reference.normalizeSync(sql));
      expect(fingerprintSql(sql)).toBe(reference.fingerprintSync(sql));
      expect(scanSql(sql)).toEqual(reference.scanSync(sql).tokens);
    },
  );

  it('throws the same errors for a query that does not parse', () => {
    expect(() => fingerprintSql('SELEC broken FROM;')).toThrow(/syntax error/);
    expect(() => reference.fingerprintSync('SELEC broken FROM;')).toThrow(/syntax error/);
  });
});
