import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintSources, lintSourcesSync, SYNC_CHUNK_CHARS } from '../../../src/lint/linter.js';
import { PARALLEL_PARSE_MIN_CHARS } from '../../../src/lint/parse-ahead.js';
import { statementChunks } from '../../../src/sql/chunks.js';
import { loadParser } from '../../../src/sql/parser.js';
import { splitSql } from '../../../src/sql/split.js';

beforeAll(() => loadParser());

/** Statements whose semicolons a naive splitter would cut at: quotes, comments, bodies, parentheses. */
const TRICKY = [
  'CREATE FUNCTION f_$n() RETURNS int LANGUAGE sql AS $$ SELECT 1; SELECT 2; $$;',
  'CREATE FUNCTION g_$n() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 1; END; $body$;',
  "-- a comment; CREATE INDEX fake_$n ON users (x);\nALTER TABLE users ADD COLUMN note_$n text DEFAULT 'a;b';",
  "/* outer /* inner; */ still; */ UPDATE users SET name = E'it\\'s; fine' WHERE id = $n;",
  'CREATE RULE r_$n AS ON INSERT TO users DO ALSO (NOTIFY a; NOTIFY b);',
  'CREATE FUNCTION h_$n() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;',
  'CREATE TABLE "Odd;Name_$n" (id bigint PRIMARY KEY, "semi;col" text, note text);',
  'CREATE INDEX feature_$n_idx ON "Odd;Name_$n" (note); SELECT \'é日本;\' AS x;',
  'CREATE TABLE t_$n (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, owner_id bigint NOT NULL);',
  'CREATE INDEX t_$n_owner ON t_$n (owner_id);',
  'ALTER TABLE orders ADD CONSTRAINT orders_c$n_check CHECK (c$n > 0);',
  'CREATE INDEX orders_c$n_idx ON orders (c$n);',
];

function bigMigration(minChars: number, extra?: (n: number) => string | undefined): string {
  const parts: string[] = [];
  let size = 0;
  for (let n = 0; size < minChars; n++) {
    for (const t of TRICKY) {
      const sql = t.replaceAll('$n', String(n));
      parts.push(sql);
      size += sql.length + 1;
    }
    const e = extra?.(n);
    if (e) parts.push(e);
  }
  return `${parts.join('\n')}\n`;
}

describe('statementChunks', () => {
  it('cuts only at statement boundaries: the chunks parse to the same statements as the whole text', () => {
    const text = bigMigration(40_000);
    const chunks = statementChunks(text, 2_000, 500);
    expect(chunks.length).toBeGreaterThan(10);
    expect(chunks[0]!.start).toBe(0);
    expect(chunks.at(-1)!.end).toBe(text.length);
    for (let i = 1; i < chunks.length; i++) expect(chunks[i]!.start).toBe(chunks[i - 1]!.end);
    const whole = splitSql(text).statements.map((s) => [s.line, s.column, s.text]);
    // A cut inside a BEGIN ATOMIC body makes a chunk fail; the linter then parses the rest whole. Every other
    // chunk must parse to exactly the statements the whole text has in that range.
    const pieces: unknown[] = [];
    let failed = false;
    for (const c of chunks) {
      const part = splitSql(text.slice(c.start, c.end));
      if (part.errors.length) {
        failed = true;
        break;
      }
      for (const s of part.statements) {
        const prefix = text.slice(0, c.start);
        const line = prefix.split('\n').length - 1 + s.line;
        const column = s.line === 1 ? s.column + (c.start - (prefix.lastIndexOf('\n') + 1)) : s.column;
        pieces.push([line, column, s.text]);
      }
    }
    expect(failed).toBe(true); // the BEGIN ATOMIC statements get cut sometimes
    expect(pieces).toEqual(whole.slice(0, pieces.length));
  });

  it('never cuts inside quotes, comments, dollar quotes or parentheses', () => {
    const text = bigMigration(20_000).replaceAll(/BEGIN ATOMIC[^\n]*/g, "AS 'SELECT 1';");
    for (const c of statementChunks(text, 300, 100)) {
      expect(splitSql(text.slice(c.start, c.end)).errors).toEqual([]);
    }
  });
});

describe('lintSources on a large input (parsed in a worker, in chunks)', { timeout: 60_000 }, () => {
  // The worker is used only when a CPU looks idle; these tests take that path whatever the machine's load.
  beforeAll(() => {
    process.env.DBSAGE_PARSE_WORKER = '1';
  });
  afterAll(() => {
    delete process.env.DBSAGE_PARSE_WORKER;
  });

  const compare = async (text: string) => {
    expect(text.length).toBeGreaterThan(PARALLEL_PARSE_MIN_CHARS);
    const sources = [
      { file: 'a.sql', text },
      { file: 'b.sql', text: 'CREATE INDEX late_idx ON t_1 (owner_id);\nALTER TABLE orders DROP COLUMN x;\n' },
    ];
    const sync = lintSourcesSync(sources);
    const parallel = await lintSources(sources);
    expect(parallel.statements).toBe(sync.statements);
    expect(parallel.syntaxErrors).toBe(sync.syntaxErrors);
    expect(parallel.findings).toEqual(sync.findings);
    return sync;
  };

  it('reports the same findings, in the same order, as the single-threaded path', async () => {
    const r = await compare(bigMigration(PARALLEL_PARSE_MIN_CHARS * 2));
    expect(r.findings.length).toBeGreaterThan(100);
    expect(r.syntaxErrors).toBe(0);
  });

  it('after a syntax error in the middle, reports it first and still lints the rest the same way', async () => {
    const r = await compare(
      bigMigration(PARALLEL_PARSE_MIN_CHARS * 2, (n) => (n === 100 ? 'SELEC broken FROM;' : undefined)),
    );
    expect(r.syntaxErrors).toBeGreaterThan(0);
    const errors = r.findings.filter((f) => f.ruleId === 'syntax-error').map((f) => f.title);
    expect(errors.some((t) => t.includes('syntax error at or near "SELEC"'))).toBe(true);
  });
});

describe('lintSourcesSync on a large input (parsed on this thread, chunk by chunk)', { timeout: 60_000 }, () => {
  const compare = (text: string) => {
    expect(text.length).toBeGreaterThan(3 * SYNC_CHUNK_CHARS);
    const sources = [
      { file: 'a.sql', text },
      { file: 'b.sql', text: 'CREATE INDEX late_idx ON t_1 (owner_id);\nALTER TABLE orders DROP COLUMN x;\n' },
    ];
    const whole = lintSourcesSync(sources, {}, Number.POSITIVE_INFINITY);
    const chunked = lintSourcesSync(sources);
    expect(chunked.statements).toBe(whole.statements);
    expect(chunked.syntaxErrors).toBe(whole.syntaxErrors);
    expect(chunked.findings).toEqual(whole.findings);
    return whole;
  };

  it('reports the same findings, in the same order, as a parse of the whole file', () => {
    const r = compare(bigMigration(SYNC_CHUNK_CHARS * 6));
    expect(r.findings.length).toBeGreaterThan(100);
  });

  it('after a syntax error in the middle, reports the same findings as a parse of the whole file', () => {
    const r = compare(bigMigration(SYNC_CHUNK_CHARS * 6, (n) => (n === 100 ? 'SELEC broken FROM;' : undefined)));
    expect(r.syntaxErrors).toBeGreaterThan(0);
  });
});
