import { beforeAll, describe, expect, it } from 'vitest';
import { loadParser } from '../../../src/sql/parser.js';
import { sqlTextWorkload, weightOf } from '../../../src/workload/sql-file.js';

beforeAll(() => loadParser());

describe('.sql workload', () => {
  it('weighs statements with -- weight: N, adds up one shape, and keeps file:line:col', async () => {
    const w = await sqlTextWorkload(
      [
        '-- weight: 1000',
        'SELECT * FROM users WHERE id = 1;',
        '-- the same shape, less often',
        '-- weight: 2.5',
        '  SELECT * FROM users WHERE id = 2;',
        "UPDATE users SET status = 'x' WHERE id = 3;",
      ].join('\n'),
      'q.sql',
    );
    expect(w.source).toBe('sql-file');
    expect(w.statements.map((s) => [s.query, s.calls, s.example, s.location])).toEqual([
      [
        'SELECT * FROM users WHERE id = $1',
        1002.5,
        'SELECT * FROM users WHERE id = 1',
        { file: 'q.sql', line: 2, column: 1 },
      ],
      [
        'UPDATE users SET status = $1 WHERE id = $2',
        1,
        "UPDATE users SET status = 'x' WHERE id = 3",
        { file: 'q.sql', line: 6, column: 1 },
      ],
    ]);
    expect(w.errors).toEqual([]);
    expect(w.skipped).toEqual({ count: 0, samples: [] });
    expect(w.read).toBe(3);
  });

  it('reports a syntax error with file:line:col and keeps the good statements', async () => {
    const w = await sqlTextWorkload(
      "SELECT 1 FROM a;\nSELECT 'é' FRO x;\n-- weight: 3\nSELECT * FROM b WHERE c = 1;",
      'bad.sql',
    );
    expect(w.statements.map((s) => [s.query, s.calls])).toEqual([
      ['SELECT * FROM b WHERE c = $1', 3],
      ['SELECT $1 FROM a', 1],
    ]);
    expect(w.errors!.map((e) => [e.message, e.code, e.line, e.column])).toEqual([
      ['bad.sql:2:16: syntax error at or near "x"', 'E_SQL_SYNTAX', 2, 16],
    ]);
    expect(w.skipped).toEqual({ count: 1, samples: ['bad.sql:2:16: syntax error at or near "x"'] });
  });

  it('counts a statement with an unreadable weight once and says so', async () => {
    const w = await sqlTextWorkload('-- weight: lots\nSELECT 1 FROM a;', 'w.sql');
    expect(w.statements[0]!.calls).toBe(1);
    expect(w.skipped.samples).toEqual(['w.sql:2:1: weight must be a positive number, got "lots"; counted once']);
  });

  it('takes the last weight comment before a statement', () => {
    expect(weightOf(['-- weight: 5', '-- note', '--weight:7'])).toEqual({ weight: 7 });
    expect(weightOf(['-- no weight here'])).toEqual({ weight: 1 });
    expect(weightOf(['-- weight: 0'])).toEqual({ error: 'weight must be a positive number, got "0"' });
  });
});
