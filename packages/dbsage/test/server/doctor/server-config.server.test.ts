import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../../test/support/pg-database.js';
import type { CliIO } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';
import { runDoctor } from '../../../src/doctor/runner.js';
import { ServerClient } from '../../../src/engines/postgres/server-client.js';
import type { Finding } from '../../../src/findings/finding.js';
import { about, doctor, session, until } from './helpers.js';

function captureIO(): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    stderrIsTTY: false,
    color: false,
    env: {},
    cwd: process.cwd(),
  };
}

describe.skipIf(!hasTestPostgres())(
  'doctor connection, cache, checkpoint and configuration checks on PostgreSQL 15',
  () => {
    let db: TestDatabase;
    let bare: TestDatabase;
    let client: ServerClient;
    const sessions: pg.Client[] = [];

    beforeAll(async () => {
      db = await createTestDatabase('doctor_cfg');
      bare = await createTestDatabase('doctor_bare', []);
      client = await ServerClient.connect({ connectionString: db.url });
    });
    afterAll(async () => {
      for (const s of sessions) await s.end().catch(() => undefined);
      await client?.close();
      await db?.drop();
      await bare?.drop();
    });

    it('connection-usage and idle-connections: % of max_connections minus reserved, with the breakdown', async () => {
      for (let i = 0; i < 5; i++) sessions.push(await session(db.url, 'doctor-conn'));
      const { findings } = await doctor(client, ['connection-usage', 'idle-connections'], {
        'connection-usage': { mediumPercent: 1, highPercent: 99, criticalPercent: 100 },
        'idle-connections': { minConnections: 5, lowPercent: 1 },
      });
      const usage = findings.find((f) => f.ruleId === 'connection-usage');
      expect(usage?.severity).toBe('medium');
      expect(usage?.evidence.maxConnections).toBe(100);
      expect(usage?.evidence.superuserReservedConnections).toBe(3);
      expect(usage?.evidence.availableToClients).toBe(97);
      const count = Number(usage?.evidence.clientConnections);
      expect(count).toBeGreaterThanOrEqual(6);
      expect(usage?.evidence.usagePercent).toBeCloseTo((count / 97) * 100, 0);
      expect((usage!.evidence.byApplication as Record<string, number>)['doctor-conn']).toBe(5);
      expect((usage!.evidence.byDatabase as Record<string, number>)[db.name]).toBeGreaterThanOrEqual(6);
      const idle = findings.find((f) => f.ruleId === 'idle-connections');
      expect((idle!.evidence.idleByApplication as Record<string, number>)['doctor-conn']).toBe(5);
      // Negative: at the default thresholds (70 % of 97) this server is fine.
      expect((await doctor(client, ['connection-usage'])).findings).toEqual([]);
    });

    it('cache-hit-rate: a table larger than the buffer ring, scanned from disk; not a small hot table', async () => {
      await db.admin.query(`CREATE TABLE big AS SELECT g AS id, repeat('z', 100) AS pad FROM generate_series(1, 400000) g;
      CREATE TABLE hot (id int PRIMARY KEY); INSERT INTO hot SELECT generate_series(1, 1000)`);
      for (let i = 0; i < 2; i++) await db.admin.query('SELECT count(*) FROM big');
      for (let i = 0; i < 50; i++) await db.admin.query('SELECT count(*) FROM hot');
      await db.flushStats();
      const { findings } = await doctor(client, ['cache-hit-rate'], {
        'cache-hit-rate': { largeTableBytes: 1024 * 1024, minBlocks: 1000 },
      });
      const [big] = about(findings, 'cache-hit-rate', 'table public.big');
      expect(Number(big?.evidence.heapHitPercent)).toBeLessThan(90);
      expect(Number(big?.evidence.heapBlocksRead)).toBeGreaterThan(5000);
      expect(big?.evidence.sharedBuffersBytes).toBe(128 * 1024 * 1024);
      expect(['medium', 'high']).toContain(big?.severity);
      expect(about(findings, 'cache-hit-rate', 'public.hot')).toEqual([]);
    });

    it('checkpoint-pressure: requested checkpoints against timed ones', async () => {
      for (let i = 0; i < 3; i++) await db.admin.query('CHECKPOINT');
      // The checkpointer publishes its counters after releasing the waiting backend: poll briefly.
      let f: Finding | undefined;
      await until(async () => {
        const { findings } = await doctor(client, ['checkpoint-pressure'], {
          'checkpoint-pressure': { minCheckpoints: 3 },
        });
        f = findings.find((x) => x.ruleId === 'checkpoint-pressure');
        return Number(f?.evidence.requested ?? 0) >= 3;
      });
      expect(Number(f?.evidence.requested)).toBeGreaterThanOrEqual(3);
      expect(Number(f?.evidence.requestedPercent)).toBeGreaterThanOrEqual(50);
      expect(f?.evidence.maxWalSize).toBe('1024MB');
      expect(f?.remediation?.sql).toContain("max_wal_size = '2GB'");
      expect(
        (await doctor(client, ['checkpoint-pressure'], { 'checkpoint-pressure': { minCheckpoints: 1e6 } })).findings,
      ).toEqual([]);
    });

    it('pg-stat-statements-missing: loaded but not created in a database; nothing where it is', async () => {
      const bareClient = await ServerClient.connect({ connectionString: bare.url });
      try {
        const { findings } = await doctor(bareClient, ['pg-stat-statements-missing']);
        expect(findings).toHaveLength(1);
        expect(findings[0]?.severity).toBe('low');
        expect(findings[0]?.evidence.sharedPreloadLibraries).toEqual(['pg_stat_statements']);
        expect(findings[0]?.remediation?.sql).toBe('CREATE EXTENSION IF NOT EXISTS pg_stat_statements;');
        // The checks that need the view are skipped with the reason, not failed.
        const r = await runDoctor({ client: bareClient, only: ['slow-queries'] });
        expect(r.outcomes[0]?.status).toBe('skipped');
        expect(r.outcomes[0]?.reason).toContain('CREATE EXTENSION pg_stat_statements');
      } finally {
        await bareClient.close();
      }
      expect((await doctor(client, ['pg-stat-statements-missing'])).findings).toEqual([]);
    });

    it('track-io-timing-off, random-page-cost and work-mem-spills from the live settings', async () => {
      await db.admin.query(`ALTER DATABASE ${bare.name} SET track_io_timing = off`);
      const bareClient = await ServerClient.connect({ connectionString: bare.url });
      const sorter = await session(bare.url, 'doctor-sorter');
      try {
        for (let i = 0; i < 3; i++)
          await sorter.query('SELECT count(*) FROM (SELECT g FROM generate_series(1, 600000) g ORDER BY g DESC) s');
        await sorter.query('SELECT pg_stat_force_next_flush()');
        await sorter.query('SELECT 1');
        const { findings } = await doctor(bareClient, ['track-io-timing-off', 'random-page-cost', 'work-mem-spills'], {
          'work-mem-spills': { minTempFiles: 3 },
        });
        const io = findings.find((f) => f.ruleId === 'track-io-timing-off');
        expect(io?.evidence.source).toBe('database');
        expect(io?.remediation?.sql).toContain('track_io_timing = on');
        const rpc = findings.find((f) => f.ruleId === 'random-page-cost');
        expect(rpc?.severity).toBe('info');
        expect(rpc?.evidence.random_page_cost).toBe(4);
        const wm = findings.find((f) => f.ruleId === 'work-mem-spills');
        expect(Number(wm?.evidence.tempFiles)).toBeGreaterThanOrEqual(3);
        expect(wm?.evidence.workMemBytes).toBe(4 * 1024 * 1024);
        const ssd = await doctor(bareClient, ['random-page-cost'], { 'random-page-cost': { storage: 'ssd' } });
        expect(ssd.findings[0]?.severity).toBe('low');
        expect(
          (await doctor(bareClient, ['random-page-cost'], { 'random-page-cost': { storage: 'hdd' } })).findings,
        ).toEqual([]);
      } finally {
        await sorter.end();
        await bareClient.close();
      }
      // Negative: the other database has track_io_timing on and work_mem raised.
      await db.admin.query(`ALTER DATABASE ${db.name} SET work_mem = '64MB'`);
      const raised = await ServerClient.connect({ connectionString: db.url });
      try {
        const none = await doctor(raised, ['track-io-timing-off', 'work-mem-spills'], {
          'work-mem-spills': { minTempFiles: 0 },
        });
        expect(none.findings).toEqual([]);
      } finally {
        await raised.close();
      }
    });

    it('dbsage tune: PGTune values diffed against pg_settings, with the reason and restart flag', async () => {
      const io = captureIO();
      const code = await main(
        ['tune', '--ram', '16GB', '--cpus', '4', '--storage', 'ssd', '--workload', 'web', db.url, '--format', 'json'],
        io,
      );
      expect(code).toBe(0);
      const findings = JSON.parse(io.out.join('')) as Finding[];
      const by = (name: string) => findings.find((f) => f.evidence.setting === name);
      expect(by('shared_buffers')?.evidence).toMatchObject({
        current: '128MB',
        recommended: '4GB',
        restartRequired: true,
      });
      expect(by('random_page_cost')?.evidence).toMatchObject({
        current: '4',
        recommended: '1.1',
        restartRequired: false,
      });
      expect(by('max_connections')?.evidence).toMatchObject({ current: '100', recommended: '200' });
      expect(by('work_mem')?.evidence.recommended).toBe('20560kB');
      expect(by('shared_buffers')?.summary).toContain('1/4 of RAM');
      // Already right on this server (0.9 is the default from 14): not listed.
      expect(by('checkpoint_completion_target')).toBeUndefined();
    });
  },
);
