import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCapabilities } from '../../src/engines/postgres/capabilities.js';
import { EmbeddedClient } from '../../src/engines/postgres/embedded-client.js';
import { QueryError } from '../../src/errors.js';

describe('embedded client (PGlite)', () => {
  let client: EmbeddedClient;
  beforeAll(async () => {
    client = await EmbeddedClient.open();
    await client.execWrite('CREATE TABLE t (id int PRIMARY KEY, v bigint); INSERT INTO t VALUES (1, 9007199254740991)');
  });
  afterAll(() => client?.close());

  it('runs analysis queries read-only with int8 as numbers and SQLSTATE kept', async () => {
    expect((await client.query<{ v: number }>('SELECT v FROM t WHERE id = $1', [1])).rows[0]!.v).toBe(9007199254740991);
    const err = await client.query('UPDATE t SET v = 0').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueryError);
    expect((err as QueryError).sqlState).toBe('25006');
    expect((await client.query<{ v: number }>('SELECT v FROM t')).rows[0]!.v).toBe(9007199254740991);
  });

  it('sets the timeouts LOCAL and ends read-only transactions in ROLLBACK', async () => {
    const settings = await client.transaction(
      async (tx) =>
        (
          await tx.query<{ s: string; l: string }>(
            "SELECT current_setting('statement_timeout') s, current_setting('lock_timeout') l",
          )
        ).rows[0],
      { statementTimeoutMillis: 4321, lockTimeoutMillis: 99 },
    );
    expect(settings).toEqual({ s: '4321ms', l: '99ms' });
    expect((await client.query<{ s: string }>("SELECT current_setting('statement_timeout') s")).rows[0]!.s).toBe('15s');
  });

  it('serialises concurrent transactions on the single backend', async () => {
    const results = await Promise.all(
      [1, 2, 3, 4].map((i) =>
        client.transaction(async (tx) => (await tx.query<{ n: number }>('SELECT $1::int AS n', [i])).rows[0]!.n),
      ),
    );
    expect(results).toEqual([1, 2, 3, 4]);
  });

  it('rolls back a write transaction asked to roll back (what-if indexes leave nothing behind)', async () => {
    await client.transaction(async (tx) => tx.query('CREATE INDEX t_v ON t (v)'), { readOnly: false, rollback: true });
    expect((await client.query('SELECT 1 FROM pg_indexes WHERE indexname = $1', ['t_v'])).rows).toHaveLength(0);
  });

  it('detects PostgreSQL 18 with pg_stat_statements loaded', async () => {
    await client.execWrite('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    const caps = await client.transaction((tx) => detectCapabilities(tx));
    expect(caps.majorVersion).toBe(18);
    expect(caps.hasPgStatStatements).toBe(true);
    expect(caps.availableExtensions).toEqual(expect.arrayContaining(['pg_trgm', 'uuid-ossp', 'btree_gin']));
    expect(caps.hasHypopg).toBe(false);
  });
});
