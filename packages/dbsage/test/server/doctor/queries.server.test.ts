import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../../test/support/pg-database.js';
import { applyFix, planFix } from '../../../src/doctor/fix.js';
import { ServerClient } from '../../../src/engines/postgres/server-client.js';
import { about, doctor, session, sleep, until } from './helpers.js';

describe.skipIf(!hasTestPostgres())('doctor query checks on PostgreSQL 15', () => {
  let db: TestDatabase;
  let client: ServerClient;
  const sessions: pg.Client[] = [];
  const open = async (name: string) => {
    const s = await session(db.url, name);
    sessions.push(s);
    return s;
  };
  const waitingOnLock = async (pid: number) =>
    (await db.admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = $2', [pid, 'Lock']))
      .rowCount === 1;

  beforeAll(async () => {
    db = await createTestDatabase('doctor_q');
    client = await ServerClient.connect({ connectionString: db.url });
    await db.admin.query(`
      CREATE TABLE nplus (id int PRIMARY KEY, name text NOT NULL);
      INSERT INTO nplus SELECT g, 'n' || g FROM generate_series(1, 500) g;
      CREATE TABLE blk (id int PRIMARY KEY, v int NOT NULL);
      INSERT INTO blk VALUES (1, 0), (2, 0);
      CREATE TABLE blk2 (id int PRIMARY KEY);
      CREATE TABLE dl (id int PRIMARY KEY, v int NOT NULL);
      INSERT INTO dl VALUES (1, 0), (2, 0);`);
  });
  afterAll(async () => {
    for (const s of sessions) await s.end().catch(() => undefined);
    await client?.close();
    await db?.drop();
  });

  it('slow-queries: reports a slow statement with mean, calls and share of total time', async () => {
    for (let i = 0; i < 4; i++) await db.admin.query('SELECT pg_sleep(0.25)');
    const { findings } = await doctor(client, ['slow-queries', 'top-statements'], {
      'slow-queries': { minMeanMillis: 200, minCalls: 3 },
      'top-statements': { minSharePercent: 10 },
    });
    const [slow] = about(findings, 'slow-queries', 'pg_sleep');
    expect(slow).toBeDefined();
    expect(slow!.evidence.calls).toBeGreaterThanOrEqual(4);
    expect(slow!.evidence.meanMillis).toBeGreaterThanOrEqual(240);
    expect(slow!.evidence.sharePercentOfTotalTime).toBeGreaterThan(30);
    expect(slow!.severity).toBe('high'); // > 25 % of all execution time
    // top-statements lists it first.
    const top = findings.filter((f) => f.ruleId === 'top-statements');
    expect(top[0]?.evidence.query).toContain('pg_sleep');
    expect(top[0]?.evidence.rank).toBe(1);
    // Negative: above its mean, nothing is slow; the doctor's own queries never show up.
    const none = await doctor(client, ['slow-queries'], { 'slow-queries': { minMeanMillis: 1000, minCalls: 1 } });
    expect(about(none.findings, 'slow-queries', 'pg_sleep')).toEqual([]);
    expect(JSON.stringify(findings)).not.toContain('dbsage doctor');
  });

  it('n-plus-one-statements: a one-row lookup called thousands of times, not a multi-row query', async () => {
    for (let i = 0; i < 2000; i++) await db.admin.query('SELECT name FROM nplus WHERE id = $1', [(i % 500) + 1]);
    for (let i = 0; i < 1200; i++) await db.admin.query('SELECT name FROM nplus WHERE id <= $1', [10]);
    const { findings } = await doctor(client, ['n-plus-one-statements'], {
      'n-plus-one-statements': { minCalls: 1000, lowCallSharePercent: 5 },
    });
    const hits = findings.filter((f) => f.ruleId === 'n-plus-one-statements');
    const lookup = hits.find((f) => String(f.evidence.query).includes('id = $1'));
    expect(lookup?.evidence.calls).toBeGreaterThanOrEqual(2000);
    expect(lookup?.evidence.rowsPerCall).toBe(1);
    expect(hits.find((f) => String(f.evidence.query).includes('id <= $1'))).toBeUndefined();
  });

  it('long-running-queries: names the session, and fix cancels it with the session re-checked', async () => {
    const runner = await open('doctor-long');
    const pid = (await runner.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    const running = runner.query('SELECT pg_sleep(30)').catch((e: { code?: string }) => e);
    await until(
      async () =>
        (await db.admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active'", [pid])).rowCount ===
        1,
    );
    await sleep(1200);
    const options = { 'long-running-queries': { minSeconds: 1 } };
    const { findings } = await doctor(client, ['long-running-queries'], options);
    const [f] = about(findings, 'long-running-queries', `pid ${pid}`);
    expect(f?.evidence.runningSeconds).toBeGreaterThanOrEqual(1);
    expect(f?.evidence.query).toContain('pg_sleep(30)');
    expect(f?.evidence.application).toBe('doctor-long');
    expect(f?.remediation?.sql).toContain(
      `pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = ${pid} AND backend_start =`,
    );
    // Negative: under its threshold it is not reported.
    const none = await doctor(client, ['long-running-queries'], { 'long-running-queries': { minSeconds: 600 } });
    expect(about(none.findings, 'long-running-queries', `pid ${pid}`)).toEqual([]);
    // fix: re-finds the finding by fingerprint, runs the cancel, the query ends with 57014.
    const plan = await planFix(client, f!.fingerprint, { options });
    expect(plan.applicable).toBe(true);
    const results = await applyFix(client, plan);
    expect(results[0]?.ok).toBe(true);
    expect(results[0]?.rows[0]).toEqual({ pg_cancel_backend: true });
    expect(((await running) as { code?: string }).code).toBe('57014');
  });

  it('idle-in-transaction: count, oldest and each session', async () => {
    const idle = await open('doctor-idle');
    const pid = (await idle.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    await idle.query('BEGIN');
    await idle.query('UPDATE blk SET v = v WHERE id = 2');
    await sleep(1200);
    const { findings } = await doctor(client, ['idle-in-transaction'], { 'idle-in-transaction': { minSeconds: 1 } });
    const f = findings.find((x) => x.ruleId === 'idle-in-transaction');
    const sessionsEv = f?.evidence.sessions as {
      pid: number;
      idleSeconds: number;
      holdsXid: boolean;
      lastQuery: string;
    }[];
    const mine = sessionsEv.find((s) => s.pid === pid);
    expect(f?.evidence.count).toBeGreaterThanOrEqual(1);
    expect(f?.evidence.oldestSeconds).toBeGreaterThanOrEqual(1);
    expect(mine?.idleSeconds).toBeGreaterThanOrEqual(1);
    expect(mine?.holdsXid).toBe(true);
    expect(mine?.lastQuery).toContain('UPDATE blk');
    expect(f?.remediation?.sql).toContain(`pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ${pid}`);
    await idle.query('ROLLBACK');
    const none = await doctor(client, ['idle-in-transaction'], { 'idle-in-transaction': { minSeconds: 1 } });
    const after = none.findings.find((x) => x.ruleId === 'idle-in-transaction');
    expect((after?.evidence.sessions as { pid: number }[] | undefined)?.some((s) => s.pid === pid) ?? false).toBe(
      false,
    );
  });

  it('blocked-sessions: row locks and relation locks, with both queries and wait durations', async () => {
    const holder = await open('doctor-holder');
    const waiter = await open('doctor-waiter');
    const holderPid = (await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    const waiterPid = (await waiter.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    await holder.query('BEGIN');
    await holder.query('UPDATE blk SET v = v + 1 WHERE id = 1');
    const blockedRow = waiter.query('UPDATE blk SET v = v + 2 WHERE id = 1').catch((e) => e);
    await until(() => waitingOnLock(waiterPid));
    await sleep(300);

    const { findings } = await doctor(client, ['blocked-sessions'], { 'blocked-sessions': { minWaitSeconds: 0.1 } });
    const [row] = about(findings, 'blocked-sessions', `pid ${holderPid}`);
    const blocker = row?.evidence.blocker as { pid: number; state: string; query: string };
    const blocked = row?.evidence.blocked as { pid: number; lockType: string; waitingSeconds: number; query: string }[];
    expect(blocker.pid).toBe(holderPid);
    expect(blocker.state).toBe('idle in transaction');
    expect(blocker.query).toContain('v + 1');
    expect(blocked[0]?.pid).toBe(waiterPid);
    expect(blocked[0]?.lockType).toBe('transactionid');
    expect(blocked[0]?.waitingSeconds).toBeGreaterThanOrEqual(0.1);
    expect(blocked[0]?.query).toContain('v + 2');
    // The blocker is idle in a transaction: cancel would do nothing, so the fix terminates it.
    expect(row?.remediation?.sql).toContain('pg_terminate_backend');
    await holder.query('ROLLBACK');
    await blockedRow;

    await holder.query('BEGIN');
    await holder.query('LOCK TABLE blk2 IN ACCESS EXCLUSIVE MODE');
    const blockedRel = waiter.query('SELECT count(*) FROM blk2').catch((e) => e);
    await until(() => waitingOnLock(waiterPid));
    const rel = await doctor(client, ['blocked-sessions'], { 'blocked-sessions': { minWaitSeconds: 0 } });
    const [relFinding] = about(rel.findings, 'blocked-sessions', `pid ${holderPid}`);
    const relBlocked = relFinding?.evidence.blocked as { lockType: string; relation: string; lockMode: string }[];
    expect(relBlocked[0]?.lockType).toBe('relation');
    expect(relBlocked[0]?.relation).toBe('blk2');
    expect(relBlocked[0]?.lockMode).toBe('AccessShareLock');
    expect(relFinding?.title).toContain('blk2');
    await holder.query('ROLLBACK');
    await blockedRel;
    // Negative: nothing waits any more.
    const none = await doctor(client, ['blocked-sessions'], { 'blocked-sessions': { minWaitSeconds: 0 } });
    expect(about(none.findings, 'blocked-sessions', `pid ${holderPid}`)).toEqual([]);
  });

  it('deadlocks and rollback-ratio from pg_stat_database', async () => {
    const a = await open('doctor-dl-a');
    const b = await open('doctor-dl-b');
    await a.query('BEGIN');
    await a.query('UPDATE dl SET v = 1 WHERE id = 1');
    await b.query('BEGIN');
    await b.query('UPDATE dl SET v = 1 WHERE id = 2');
    const first = a.query('UPDATE dl SET v = 2 WHERE id = 2').catch((e) => e);
    const second = b.query('UPDATE dl SET v = 2 WHERE id = 1').catch((e) => e);
    const errors = (await Promise.all([first, second])).filter((r) => r instanceof Error) as { code?: string }[];
    expect(errors.map((e) => e.code)).toContain('40P01');
    await a.query('ROLLBACK');
    await b.query('ROLLBACK');
    for (let i = 0; i < 300; i++) {
      await db.admin.query('BEGIN');
      await db.admin.query('ROLLBACK');
    }
    await db.flushStats();
    let found: Awaited<ReturnType<typeof doctor>> | undefined;
    await until(async () => {
      found = await doctor(client, ['deadlocks', 'rollback-ratio'], { 'rollback-ratio': { minTransactions: 100 } });
      return found.findings.some((f) => f.ruleId === 'deadlocks');
    });
    const dl = found!.findings.find((f) => f.ruleId === 'deadlocks');
    expect(dl?.evidence.deadlocks).toBeGreaterThanOrEqual(1);
    expect(dl?.evidence.database).toBe(db.name);
    const rb = found!.findings.find((f) => f.ruleId === 'rollback-ratio');
    expect(rb?.evidence.rollbacks).toBeGreaterThanOrEqual(300);
    expect(rb?.evidence.rollbackPercent).toBeGreaterThanOrEqual(5);
    // Negative: with the default minimum of transactions, this small database is not judged.
    const none = await doctor(client, ['rollback-ratio']);
    expect(none.findings).toEqual([]);
  });

  it('temp-file-spill: a sort larger than work_mem, with bytes per call against work_mem', async () => {
    await db.admin.query("SET work_mem = '64kB'");
    for (let i = 0; i < 3; i++) {
      await db.admin.query('SELECT count(*) FROM (SELECT g FROM generate_series(1, 200000) g ORDER BY g DESC) s');
    }
    await db.admin.query('RESET work_mem');
    const { findings } = await doctor(client, ['temp-file-spill'], { 'temp-file-spill': { minTempBytes: 0 } });
    const [f] = about(findings, 'temp-file-spill', 'ORDER BY g DESC');
    expect(f?.evidence.calls).toBe(3);
    expect(f?.evidence.tempBytes).toBeGreaterThan(1024 * 1024);
    expect(f?.evidence.workMemBytes).toBe(4 * 1024 * 1024);
    expect(f?.evidence.tempBytesPerCall).toBe(Math.round(Number(f?.evidence.tempBytes) / 3));
    // Negative: the in-memory statements are not reported.
    expect(about(findings, 'temp-file-spill', 'pg_sleep')).toEqual([]);
  });

  it('jit-time-share: a short query forced through JIT', async () => {
    await db.admin.query(
      'SET jit = on; SET jit_above_cost = 0; SET jit_inline_above_cost = 0; SET jit_optimize_above_cost = 0',
    );
    for (let i = 0; i < 3; i++) await db.admin.query('SELECT sum(g) FROM generate_series(1, 1000) g');
    await db.admin.query('RESET jit; RESET jit_above_cost; RESET jit_inline_above_cost; RESET jit_optimize_above_cost');
    const { findings } = await doctor(client, ['jit-time-share'], { 'jit-time-share': { minJitMillis: 0 } });
    const [f] = about(findings, 'jit-time-share', 'generate_series(');
    expect(f?.evidence.jitFunctions).toBeGreaterThan(0);
    expect(f?.evidence.jitSharePercent).toBeGreaterThanOrEqual(10);
    expect(about(findings, 'jit-time-share', 'pg_sleep')).toEqual([]);
  });
});
