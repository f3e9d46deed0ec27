import { beforeAll, describe, expect, it } from 'vitest';
import { loadParser } from '../../../src/sql/parser.js';
import { splitSql } from '../../../src/sql/split.js';

beforeAll(() => loadParser());

describe('splitSql', () => {
  it('gives each statement its line:column, kind and leading comments', () => {
    const src = "-- weight: 5\nSELECT 'é' FROM a;\n\n/* note */ UPDATE b SET x = 1 WHERE id = $1;\n  select 1";
    const { statements, errors } = splitSql(src, 'q.sql');
    expect(errors).toEqual([]);
    expect(statements.map((s) => [s.kind, s.line, s.column, s.text, s.leadingComments])).toEqual([
      ['SelectStmt', 2, 1, "SELECT 'é' FROM a", ['-- weight: 5']],
      ['UpdateStmt', 4, 12, 'UPDATE b SET x = 1 WHERE id = $1', ['/* note */']],
      ['SelectStmt', 5, 3, 'select 1', []],
    ]);
  });

  it('maps byte offsets through UTF-8 (multi-byte text before a statement)', () => {
    const src = "SELECT '日本語テキスト' AS a;\nSELECT 2;";
    const { statements } = splitSql(src);
    expect(statements[1]).toMatchObject({ line: 2, column: 1, text: 'SELECT 2' });
  });

  it('reports a syntax error at file:line:col and still returns the other statements', () => {
    const src = "CREATE TABLE a (id int);\nSELECT 'é' FRO x;\nCREATE INDEX ON a (id);";
    const { statements, errors } = splitSql(src, 'm.sql');
    expect(statements.map((s) => s.kind)).toEqual(['CreateStmt', 'IndexStmt']);
    expect(statements[1]).toMatchObject({ line: 3, column: 1 });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toBe('m.sql:2:16: syntax error at or near "x"');
    expect(errors[0]).toMatchObject({ file: 'm.sql', line: 2, column: 16, code: 'E_SQL_SYNTAX' });
  });

  it('keeps semicolons inside dollar quotes and strings in one statement', () => {
    const src =
      "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\nSELECT ';' FROM x WHERE y = 'a;b'; SELEC 1;";
    const { statements, errors } = splitSql(src);
    expect(statements.map((s) => s.kind)).toEqual(['CreateFunctionStmt', 'SelectStmt']);
    expect(errors[0]).toMatchObject({ line: 2, column: 36 });
  });
});
