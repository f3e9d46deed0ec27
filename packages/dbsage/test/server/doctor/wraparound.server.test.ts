import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../../test/support/pg-database.js';
import { PG_BIN } from '../../../../../test/support/postgres.js';
import { applyFix, planFix } from '../../../src/doctor/fix.js';
import { WRAPAROUND_LIMIT } from '../../../src/doctor/wraparound.js';
import { ServerClient } from '../../../src/engines/postgres/server-client.js';
import { about, doctor, session, sleep, until } from './helpers.js';

describe.skipIf(!hasTestPostgres())(
  'doctor wraparound, horizon, sequence and replication checks on PostgreSQL 15',
  () => {
    let db: TestDatabase;
    let client: ServerClient;
    const sessions: pg.Client[] = [];
    const suffix = Math.random().toString(16).slice(2, 8);
    const open = async (name: string) => {
      const s = await session(db.url, name);
      sessions.push(s);
      return s;
    };
    /** Consumes `n` transaction ids, one per transaction. */
    const burnXids = async (n: number) => {
      for (let i = 0; i < n; i++) await db.admin.query('SELECT txid_current()');
    };

    beforeAll(async () => {
      db = await createTestDatabase('doctor_wrap');
      client = await ServerClient.connect({ connectionString: db.url });
    });
    afterAll(async () => {
      for (const s of sessions) await s.end().catch(() => undefined);
      await db.admin.query(`ROLLBACK PREPARED 'doctor_gid_${suffix}'`).catch(() => undefined);
      await db.admin
        .query(
          `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE 'doctor_%${suffix}'`,
        )
        .catch(() => undefined);
      await client?.close();
      await db?.drop();
    });

    it('xid-wraparound: ages per database and table against 2^31 (thresholds lowered: wraparound cannot be produced)', async () => {
      await db.admin.query('CREATE TABLE old_t (id int PRIMARY KEY)');
      await burnXids(300);
      await db.admin.query('CREATE TABLE young_t (id int PRIMARY KEY)');
      const tableAge = Number(
        (await db.admin.query("SELECT age(relfrozenxid) AS a FROM pg_class WHERE relname = 'old_t'")).rows[0].a,
      );
      expect(tableAge).toBeGreaterThanOrEqual(300);
      // "high" from an age of 250 transactions: old_t (≥ 300) qualifies, young_t (created after) does not.
      const highPercentOfLimit = (250 / WRAPAROUND_LIMIT) * 100;
      const { findings } = await doctor(client, ['xid-wraparound'], {
        'xid-wraparound': {
          highPercentOfLimit,
          mediumPercentOfLimit: highPercentOfLimit,
          lowFreezeMaxAgeFactor: 1000,
          maxTables: 1000,
        },
      });
      const [t] = about(findings, 'xid-wraparound', 'table public.old_t');
      expect(t?.severity).toBe('high');
      expect(t?.evidence.age).toBeGreaterThanOrEqual(tableAge);
      expect(t?.evidence.percentOfLimit).toBeCloseTo((Number(t?.evidence.age) / 2 ** 31) * 100, 3);
      expect(t?.remediation?.sql).toBe('VACUUM (FREEZE, ANALYZE) old_t;');
      expect(about(findings, 'xid-wraparound', 'table public.young_t')).toEqual([]);
      const [d] = about(findings, 'xid-wraparound', `database ${db.name}`);
      const dbAge = Number(
        (await db.admin.query('SELECT age(datfrozenxid) AS a FROM pg_database WHERE datname = current_database()'))
          .rows[0].a,
      );
      expect(Number(d?.evidence.age)).toBeGreaterThanOrEqual(dbAge - 5);
      expect(d?.evidence.autovacuum_freeze_max_age).toBe(200_000_000);
      expect((d!.evidence.oldestTables as { table: string }[]).length).toBeGreaterThan(0);
      // Negative: with the real thresholds a healthy cluster raises nothing.
      expect((await doctor(client, ['xid-wraparound'])).findings).toEqual([]);
    });

    it('multixact-wraparound: MultiXact age from shared row locks (thresholds lowered)', async () => {
      await db.admin.query('CREATE TABLE mx (id int PRIMARY KEY); INSERT INTO mx VALUES (1)');
      const a = await open('doctor-mx-a');
      const b = await open('doctor-mx-b');
      await a.query('BEGIN');
      await a.query('SELECT * FROM mx WHERE id = 1 FOR SHARE');
      await b.query('BEGIN');
      await b.query('SELECT * FROM mx WHERE id = 1 FOR SHARE'); // two lockers: a MultiXact
      await a.query('COMMIT');
      await b.query('COMMIT');
      await db.admin.query('CREATE TABLE mx_young (id int PRIMARY KEY)');
      const mediumPercentOfLimit = (0.5 / WRAPAROUND_LIMIT) * 100;
      const { findings } = await doctor(client, ['multixact-wraparound'], {
        'multixact-wraparound': { mediumPercentOfLimit, lowFreezeMaxAgeFactor: 1000, maxTables: 1000 },
      });
      const [t] = about(findings, 'multixact-wraparound', 'table public.mx');
      expect(t?.severity).toBe('medium');
      expect(Number(t?.evidence.age)).toBeGreaterThanOrEqual(1);
      expect(t?.evidence.autovacuum_multixact_freeze_max_age).toBe(400_000_000);
      expect(about(findings, 'multixact-wraparound', 'table public.mx_young')).toEqual([]);
    });

    it('xmin-horizon and prepared-transactions: the holder by name; fix rolls the prepared transaction back', async () => {
      await db.admin.query('CREATE TABLE px (id int)');
      const holder = await open('doctor-horizon');
      const holderPid = (await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      await holder.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await holder.query('SELECT count(*) FROM px');
      const preparer = await open('doctor-prepare');
      const gid = `doctor_gid_${suffix}`;
      await preparer.query('BEGIN');
      await preparer.query('INSERT INTO px VALUES (1)');
      await preparer.query(`PREPARE TRANSACTION '${gid}'`);
      await burnXids(30);
      await sleep(1100);

      const { findings } = await doctor(client, ['xmin-horizon', 'prepared-transactions'], {
        'xmin-horizon': { minAgeXids: 20, minSeconds: 1e9, maxFindings: 100 },
        'prepared-transactions': { minSeconds: 1 },
      });
      const [backend] = about(findings, 'xmin-horizon', `pid ${holderPid}`);
      expect(backend?.evidence.holderKind).toBe('backend');
      expect(backend?.evidence.application).toBe('doctor-horizon');
      expect(backend?.evidence.xminAge).toBeGreaterThanOrEqual(30);
      expect(backend?.remediation?.sql).toContain(
        `pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ${holderPid}`,
      );
      const [prepared] = findings.filter((f) => f.ruleId === 'xmin-horizon' && f.evidence.holder === gid);
      expect(prepared?.evidence.holderKind).toBe('prepared transaction');
      expect(prepared?.evidence.xminAge).toBeGreaterThanOrEqual(30);

      const [p] = findings.filter((f) => f.ruleId === 'prepared-transactions' && f.evidence.gid === gid);
      expect(p?.evidence.database).toBe(db.name);
      expect(p?.evidence.ageSeconds).toBeGreaterThanOrEqual(1);
      expect(p?.evidence.locksHeld).toBeGreaterThanOrEqual(1);
      expect(p?.evidence.lockedRelations).toEqual(['px']);
      expect(p?.remediation?.sql).toBe(`ROLLBACK PREPARED '${gid}';`);
      const plan = await planFix(client, p!.fingerprint, { options: { 'prepared-transactions': { minSeconds: 1 } } });
      expect((await applyFix(client, plan)).map((r) => r.ok)).toEqual([true]);
      expect((await db.admin.query('SELECT 1 FROM pg_prepared_xacts WHERE gid = $1', [gid])).rowCount).toBe(0);
      await holder.query('COMMIT');

      // Negative: the holder is gone.
      const after = await doctor(client, ['xmin-horizon'], {
        'xmin-horizon': { minAgeXids: 20, minSeconds: 1e9, maxFindings: 100 },
      });
      expect(about(after.findings, 'xmin-horizon', `pid ${holderPid}`)).toEqual([]);
    });

    it('sequence-overflow: 95 % of int, limited by the column type; not a young or cycling sequence', async () => {
      await db.admin.query(`
      CREATE TABLE sq (id serial PRIMARY KEY);
      SELECT setval('sq_id_seq', 2040109465);
      CREATE SEQUENCE big_seq AS bigint;
      CREATE TABLE sq_big (id int PRIMARY KEY DEFAULT nextval('big_seq'));
      ALTER SEQUENCE big_seq OWNED BY sq_big.id;
      SELECT setval('big_seq', 2100000000);
      CREATE TABLE sq_young (id serial PRIMARY KEY);
      SELECT setval('sq_young_id_seq', 1000);
      CREATE SEQUENCE cyc AS integer CYCLE;
      SELECT setval('cyc', 2140000000);`);
      const { findings } = await doctor(client, ['sequence-overflow']);
      const [sq] = about(findings, 'sequence-overflow', 'public.sq_id_seq');
      expect(sq?.severity).toBe('high');
      expect(sq?.evidence.usedPercent).toBeCloseTo(95, 1);
      expect(sq?.evidence.limit).toBe(2147483647);
      expect(sq?.evidence.ownedBy).toBe('public.sq.id');
      expect(sq?.evidence.columnType).toBe('integer');
      expect(sq?.remediation?.steps?.join(' ')).toContain('ALTER TABLE sq ALTER COLUMN id TYPE bigint');
      const [big] = about(findings, 'sequence-overflow', 'public.big_seq');
      expect(big?.evidence.limitedBy).toBe('column type');
      expect(big?.evidence.sequenceType).toBe('bigint');
      expect(big?.evidence.usedPercent).toBeCloseTo((2100000000 / 2147483647) * 100, 1);
      expect(big?.severity).toBe('high');
      expect(about(findings, 'sequence-overflow', 'sq_young')).toEqual([]);
      expect(about(findings, 'sequence-overflow', 'public.cyc')).toEqual([]);
    });

    it('inactive-replication-slot: WAL retained by a slot nobody reads', async () => {
      const slot = `doctor_slot_${suffix}`;
      await db.admin.query('SELECT pg_create_physical_replication_slot($1, true)', [slot]);
      await db.admin.query(
        'CREATE TABLE walgen (id int, pad text); INSERT INTO walgen SELECT g, repeat($$x$$, 100) FROM generate_series(1, 20000) g',
      );
      const { findings } = await doctor(client, ['inactive-replication-slot']);
      const [f] = about(findings, 'inactive-replication-slot', slot);
      expect(f?.evidence.type).toBe('physical');
      expect(Number(f?.evidence.retainedBytes)).toBeGreaterThan(1024 * 1024);
      expect(f?.evidence.walStatus).toBe('reserved');
      expect(f?.severity).toBe('low'); // far below max_wal_size
      expect(f?.remediation?.sql).toBe(`SELECT pg_drop_replication_slot('${slot}');`);
      // dbsage fix does not drop slots: it prints the SQL for a human.
      const plan = await planFix(client, f!.fingerprint);
      expect(plan.applicable).toBe(false);
      await db.admin.query('SELECT pg_drop_replication_slot($1)', [slot]);
      expect(
        about((await doctor(client, ['inactive-replication-slot'])).findings, 'inactive-replication-slot', slot),
      ).toEqual([]);
    });

    it('replication-lag: a WAL receiver that stops consuming falls behind (pg_receivewal, paused)', async () => {
      const url = new URL(db.url);
      const dir = mkdtempSync(join(tmpdir(), 'dbsage-receivewal-'));
      const bin = join(PG_BIN, 'pg_receivewal');
      const receiver: ChildProcess = spawn(
        bin,
        ['-D', dir, '-h', url.hostname, '-p', url.port, '-U', 'postgres', '--no-loop', '-s', '1', '-n'],
        { stdio: 'ignore', env: { ...process.env, PGAPPNAME: `doctor_recv_${suffix}` } },
      );
      try {
        await until(
          async () =>
            (
              await db.admin.query('SELECT 1 FROM pg_stat_replication WHERE application_name = $1', [
                `doctor_recv_${suffix}`,
              ])
            ).rowCount === 1,
        );
        receiver.kill('SIGSTOP');
        await db.admin.query(
          'CREATE TABLE lag_gen (id int, pad text); INSERT INTO lag_gen SELECT g, repeat($$y$$, 200) FROM generate_series(1, 20000) g',
        );
        await db.admin.query('SELECT pg_switch_wal()');
        const { findings } = await doctor(client, ['replication-lag'], {
          'replication-lag': { lowBytes: 1024 * 1024 },
        });
        const [f] = about(findings, 'replication-lag', `doctor_recv_${suffix}`);
        expect(Number(f?.evidence.lagBytes)).toBeGreaterThan(1024 * 1024);
        expect(f?.evidence.position).toContain('flush');
        expect(f?.severity).toBe('low');
        // Negative: under the default 64 MB floor this lag is not reported.
        const none = await doctor(client, ['replication-lag']);
        expect(about(none.findings, 'replication-lag', `doctor_recv_${suffix}`)).toEqual([]);
      } finally {
        receiver.kill('SIGCONT');
        receiver.kill('SIGTERM');
        await new Promise((r) => receiver.once('exit', r));
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
