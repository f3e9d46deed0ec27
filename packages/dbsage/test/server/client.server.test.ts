import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../test/support/pg-database.js';
import { detectCapabilities } from '../../src/engines/postgres/capabilities.js';
import { ServerClient } from '../../src/engines/postgres/server-client.js';
import { ConnectionError, QueryError } from '../../src/errors.js';

describe.skipIf(!hasTestPostgres())('server client', () => {
  let db: TestDatabase;
  let client: ServerClient;
  beforeAll(async () => {
    db = await createTestDatabase('client');
    await db.admin.query('CREATE TABLE t (id int PRIMARY KEY, v bigint)');
    await db.admin.query('INSERT INTO t VALUES (1, 9007199254740991)');
    client = await ServerClient.connect({ connectionString: db.url.replace('postgres@', 'postgres:secretpw@') });
  });
  afterAll(async () => {
    await client?.close();
    await db?.drop();
  });

  it('runs queries read-only with int8 as numbers', async () => {
    const r = await client.query<{ v: number }>('SELECT v FROM t WHERE id = $1', [1]);
    expect(r.rows[0]!.v).toBe(9007199254740991);
    await expect(client.query('INSERT INTO t VALUES (2, 2)')).rejects.toMatchObject({ sqlState: '25006' });
    expect((await db.admin.query('SELECT count(*)::int AS n FROM t')).rows[0].n).toBe(1);
  });

  it('applies statement_timeout and lock_timeout locally', async () => {
    const r = await client.transaction(
      async (tx) =>
        (await tx.query<{ statement_timeout: string }>('SHOW statement_timeout')).rows[0]!.statement_timeout,
      {
        statementTimeoutMillis: 1234,
      },
    );
    expect(r).toBe('1234ms');
    await expect(client.query('SELECT pg_sleep(2)', [], { timeoutMillis: 100 })).rejects.toBeInstanceOf(QueryError);
    // lock_timeout: hold an ACCESS EXCLUSIVE lock and try to read.
    await db.admin.query('BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
    await expect(client.query('SELECT * FROM t')).rejects.toMatchObject({ sqlState: '55P03' });
    await db.admin.query('ROLLBACK');
  });

  it('keeps session state in a pinned session (hypopg)', async () => {
    const s = await client.pin();
    await s.query("SELECT * FROM hypopg_create_index('CREATE INDEX ON t (v)')");
    const n = await s.query<{ n: number }>('SELECT count(*) AS n FROM hypopg_list_indexes');
    expect(n.rows[0]!.n).toBe(1);
    await s.release();
  });

  it('detects capabilities', async () => {
    const caps = await client.transaction((tx) => detectCapabilities(tx));
    expect(caps.majorVersion).toBe(15);
    expect(caps.hasPgStatStatements).toBe(true);
    expect(caps.hasHypopg).toBe(true);
    expect(caps.isSuperuser).toBe(true);
    expect(client.description).not.toContain('secretpw');
  });

  it('names host:port without the password when unreachable', async () => {
    const err = await ServerClient.connect({
      connectionString: 'postgres://u:hunter2@127.0.0.1:1/x',
      connectTimeoutMillis: 2000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toContain('127.0.0.1:1');
    expect((err as Error).message).not.toContain('hunter2');
  });
});
