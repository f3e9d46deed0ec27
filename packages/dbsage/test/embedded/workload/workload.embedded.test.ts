import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedClient } from '../../../src/engines/postgres/embedded-client.js';
import { fingerprintSql, loadParser } from '../../../src/sql/parser.js';
import { loadWorkload } from '../../../src/workload/load.js';
import { readPgStatStatements } from '../../../src/workload/pg-stat-statements.js';
import type { Workload } from '../../../src/workload/types.js';

function calls(w: Workload, sql: string): number | undefined {
  return w.statements.find((s) => s.fingerprint === fingerprintSql(sql))?.calls;
}

describe('workload on PGlite (PostgreSQL 18)', () => {
  let client: EmbeddedClient;
  beforeAll(async () => {
    await loadParser();
    client = await EmbeddedClient.open();
    await client.execWrite('CREATE EXTENSION pg_stat_statements');
    await client.execWrite('CREATE TABLE t (id int PRIMARY KEY, v text)');
    await client.execWrite("INSERT INTO t SELECT g, 'x' || g FROM generate_series(1, 100) g");
    for (let i = 0; i < 5; i++) await client.execWrite('SELECT v FROM t WHERE id = $1', [i]);
    // Through the read-only analysis path too: the query counts, its BEGIN/SET LOCAL/ROLLBACK do not.
    for (let i = 0; i < 3; i++) await client.query('SELECT count(*) FROM t WHERE v = $1', [`x${i}`]);
  });
  afterAll(async () => {
    await client?.close();
  });

  it('reads pg_stat_statements with exact call counts (total_exec_time, toplevel)', async () => {
    const w = await readPgStatStatements(client);
    expect(calls(w, 'SELECT v FROM t WHERE id = $1')).toBe(5);
    expect(calls(w, 'SELECT count(*) FROM t WHERE v = $1')).toBe(3);
    const q = w.statements.find((s) => s.query === 'SELECT count(*) FROM t WHERE v = $1')!;
    expect(q.rows).toBe(3);
    expect(q.totalTimeMillis).toBeGreaterThan(0);
    expect(w.statements.some((s) => /^(BEGIN|ROLLBACK|SET )/i.test(s.query))).toBe(false);
    expect(w.excluded).toBeGreaterThan(0);
  });

  it('loads a .sql workload file with weights and reports its syntax error at file:line:col', async () => {
    const file = new URL('../../fixtures/workload/weighted.sql', import.meta.url).pathname;
    const w = await loadWorkload(file, client);
    expect(w.source).toBe('sql-file');
    expect(w.statements.map((s) => [s.query, s.calls, s.location?.line])).toEqual([
      ['SELECT * FROM t WHERE id = $1', 1500, 2],
      ['SELECT count(*) FROM t WHERE v LIKE $1', 20, 7],
      ['UPDATE t SET v = $1 WHERE id = $2', 1, 10],
    ]);
    expect(w.errors?.map((e) => e.message)).toEqual([`${file}:12:10: syntax error at or near "FORM"`]);
    expect(w.skipped.count).toBe(1);
  });
});
