import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, startPostgres, type TestPostgres } from '../../../../../test/support/postgres.js';
import { ServerClient } from '../../../src/engines/postgres/server-client.js';
import { InputError, UsageError } from '../../../src/errors.js';
import { fingerprintSql, loadParser } from '../../../src/sql/parser.js';
import { loadWorkload } from '../../../src/workload/load.js';
import { loadLogSessions, readLogWorkload } from '../../../src/workload/log.js';
import type { Workload, WorkloadEvent } from '../../../src/workload/types.js';

/**
 * Logs written by a real PostgreSQL 15 (log_min_duration_statement = 0) for a known sequence of statements, sent
 * with the simple protocol, the extended protocol (unnamed and named prepared statements, NULL and multi-line
 * parameters) and through dbsage's own read-only client; then read back with exact expectations.
 */

const MULTI_LINE = "SELECT email\n  FROM users\n WHERE status = 'active'\n ORDER BY id\n LIMIT 5";
const END_MARKER = "SELECT 'dbsage-log-end'";

/** Runs the known workload on a server; the pg client's session is named `shop-web`. */
async function runKnownWorkload(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url, application_name: 'shop-web' });
  await c.connect();
  try {
    await c.query('CREATE TABLE users (id int PRIMARY KEY, email text, status text)');
    await c.query(
      "INSERT INTO users SELECT g, 'u' || g || '@x.io', CASE WHEN g % 2 = 0 THEN 'active' ELSE 'idle' END FROM generate_series(1, 50) g",
    );
    for (const id of [1, 2, 3]) await c.query(`SELECT * FROM users WHERE id = ${id}`);
    await c.query('SELECT * FROM users WHERE id = 9 /* trace_id=req-42 */');
    await c.query(MULTI_LINE);
    await c.query(MULTI_LINE);
    await c.query('SELECT email FROM users WHERE id = $1', [5]);
    await c.query('SELECT email FROM users WHERE id = $1', [6]);
    for (const status of ['active', 'idle', "it's"]) {
      await c.query({ name: 'by_status', text: 'SELECT count(*) FROM users WHERE status = $1', values: [status] });
    }
    await c.query('SELECT count(*) FROM users WHERE email IS NOT DISTINCT FROM $1', [null]);
    await c.query('SELECT count(*) FROM users WHERE email = $1', ['line1\nline2']);
    await expect(c.query('SELECT * FROM missing_table')).rejects.toThrow(/missing_table/);
    await c.query("SELECT relname FROM pg_class WHERE relname = 'users'");
  } finally {
    await c.end();
  }
  // dbsage's own client: BEGIN READ ONLY; SET LOCAL …; the query; ROLLBACK.
  const client = await ServerClient.connect({ connectionString: url });
  try {
    await client.query('SELECT status FROM users WHERE id = $1', [2]);
  } finally {
    await client.close();
  }
  const m = new pg.Client({ connectionString: url });
  await m.connect();
  await m.query(END_MARKER);
  await m.end();
}

/** The statements the known workload must produce: normalized query, calls, example parameters. */
function expected(): { fingerprint: string; calls: number; exampleParams: (string | null)[] | null }[] {
  const rows: [string, number, (string | null)[] | null][] = [
    [
      "INSERT INTO users SELECT g, 'u' || g || '@x.io', CASE WHEN g % 2 = 0 THEN 'active' ELSE 'idle' END FROM generate_series(1, 50) g",
      1,
      null,
    ],
    ['SELECT * FROM users WHERE id = $1', 4, null],
    [MULTI_LINE, 2, null],
    ['SELECT email FROM users WHERE id = $1', 2, ['5']],
    ['SELECT count(*) FROM users WHERE status = $1', 3, ['active']],
    ['SELECT count(*) FROM users WHERE email IS NOT DISTINCT FROM $1', 1, [null]],
    ['SELECT count(*) FROM users WHERE email = $1', 1, ['line1\nline2']],
    ['SELECT status FROM users WHERE id = $1', 1, ['2']],
  ];
  return rows
    .map(([sql, calls, exampleParams]) => ({ fingerprint: fingerprintSql(sql), calls, exampleParams }))
    .sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
}

function summary(w: Workload) {
  return w.statements
    .map((s) => ({ fingerprint: s.fingerprint, calls: s.calls, exampleParams: s.exampleParams }))
    .sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
}

/** CREATE TABLE, ServerClient's BEGIN + two SET LOCAL, its ROLLBACK, the pg_class lookup and the end marker. */
const EXPECTED_EXCLUDED = 7;

async function waitFor(file: () => string | undefined, text: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const f = file();
    if (f && readFileSync(f, 'utf8').includes(text)) return f;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`log never contained ${text}`);
}

function assertKnownWorkload(w: Workload): void {
  expect(summary(w)).toEqual(expected());
  expect(w.excluded).toBe(EXPECTED_EXCLUDED);
  expect(w.skipped).toEqual({ count: 0, samples: [] });
  for (const s of w.statements) {
    expect(s.totalTimeMillis).toBeGreaterThan(0);
    expect(s.meanTimeMillis).toBeCloseTo(s.totalTimeMillis / s.calls, 9);
  }
  const byId = w.statements.find((s) => s.query === 'SELECT * FROM users WHERE id = $1')!;
  expect(byId.example).toBe('SELECT * FROM users WHERE id = 1');
  const multi = w.statements.find((s) => s.fingerprint === fingerprintSql(MULTI_LINE))!;
  expect(multi.example).toBe(MULTI_LINE);
  expect(multi.query).toBe('SELECT email\n  FROM users\n WHERE status = $1\n ORDER BY id\n LIMIT $2');
}

describe.skipIf(!postgresAvailable())('workload from PostgreSQL 15 logs', () => {
  beforeAll(() => loadParser());

  describe('stderr through pg_ctl -l (logging_collector off)', () => {
    const prefix = '%m [%p] %q%u@%d/%a ';
    let server: TestPostgres;
    let log: string;
    beforeAll(async () => {
      server = await startPostgres({
        log_min_duration_statement: '0',
        log_line_prefix: `'${prefix}'`,
        logging_collector: 'off',
        log_min_messages: 'warning',
      });
      await runKnownWorkload(server.adminUrl);
      log = await waitFor(() => server.logFile, END_MARKER);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('reads the statements with exact calls, fingerprints and parameters', async () => {
      const text = readFileSync(log, 'utf8');
      // The log really has the extended-protocol forms this test is about.
      expect(text).toMatch(
        /LOG: {2}duration: [\d.]+ ms {2}execute <unnamed>: SELECT email FROM users WHERE id = \$1\n.*DETAIL: {2}parameters: \$1 = '5'/,
      );
      expect(text).toMatch(/execute by_status: SELECT count\(\*\) FROM users WHERE status = \$1/);
      expect(text).toContain("DETAIL:  parameters: $1 = 'line1\n\tline2'");
      const w = await loadWorkload(log);
      expect(w.source).toBe('log');
      assertKnownWorkload(w);
    });

    it('reads the same log gzipped, and names a missing file or a missing connection', async () => {
      const gz = join(server.dataDir, '..', 'server.log.gz');
      writeFileSync(gz, gzipSync(readFileSync(log)));
      assertKnownWorkload(await loadWorkload(gz));
      await expect(loadWorkload(join(server.dataDir, '..', 'missing.log'))).rejects.toBeInstanceOf(InputError);
      await expect(loadWorkload('pgss')).rejects.toBeInstanceOf(UsageError);
    });

    it('counts garbage lines as skipped and still produces the same workload', async () => {
      const lines = readFileSync(log, 'utf8').split('\n');
      const garbage = ['*** stack smashing detected ***', 'random text without a marker', '{"not": "a stderr line"}'];
      // Spread the garbage between entries (never inside a multi-line entry: a line starting with a tab continues one).
      const at = [1, Math.floor(lines.length / 2), lines.length - 2].map((i) => {
        let j = i;
        while (lines[j]?.startsWith('\t')) j++;
        return j;
      });
      const out = [...lines];
      for (let k = at.length - 1; k >= 0; k--) out.splice(at[k]!, 0, garbage[k]!);
      const dirty = join(server.dataDir, '..', 'dirty.log');
      writeFileSync(dirty, out.join('\n'));
      const w = await readLogWorkload(dirty);
      expect(w.skipped.count).toBe(3);
      expect(w.skipped.samples.map((s) => s.replace(/^line \d+: /, ''))).toEqual(garbage);
      expect(summary(w)).toEqual(expected());
    });

    it('streams per-session statements with timestamps, parameters, application name and trace ids', async () => {
      const { sessions, workload } = await loadLogSessions(log, { logLinePrefix: prefix });
      expect(summary(workload)).toEqual(expected());
      const all = [...sessions.values()];
      const web = all.find((events) => events[0]!.applicationName === 'shop-web')!;
      expect(web.map((e) => e.query)).toEqual([
        expect.stringMatching(/^INSERT INTO users/),
        'SELECT * FROM users WHERE id = $1',
        'SELECT * FROM users WHERE id = $1',
        'SELECT * FROM users WHERE id = $1',
        'SELECT * FROM users WHERE id = $1',
        'SELECT email\n  FROM users\n WHERE status = $1\n ORDER BY id\n LIMIT $2',
        'SELECT email\n  FROM users\n WHERE status = $1\n ORDER BY id\n LIMIT $2',
        'SELECT email FROM users WHERE id = $1',
        'SELECT email FROM users WHERE id = $1',
        'SELECT count(*) FROM users WHERE status = $1',
        'SELECT count(*) FROM users WHERE status = $1',
        'SELECT count(*) FROM users WHERE status = $1',
        'SELECT count(*) FROM users WHERE email IS NOT DISTINCT FROM $1',
        'SELECT count(*) FROM users WHERE email = $1',
      ]);
      expect(web.filter((e) => e.params !== null).map((e) => e.params)).toEqual([
        ['5'],
        ['6'],
        ['active'],
        ['idle'],
        ["it's"],
        [null],
        ['line1\nline2'],
      ]);
      expect(web.map((e) => e.traceId).filter((t) => t !== null)).toEqual(['req-42']);
      const pid = web[0]!.pid!;
      expect(pid).toBeGreaterThan(0);
      for (const e of web) {
        expect(e).toMatchObject({ sessionId: `pid:${pid}`, pid });
        expect(e.timestampMillis).toBeGreaterThan(Date.now() - 600_000);
        expect(e.durationMillis).toBeGreaterThan(0);
      }
      const times = web.map((e) => e.timestampMillis!);
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      const dbsage = all.find((events) => events[0]!.applicationName === 'dbsage')!;
      expect(dbsage.map((e) => [e.query, e.params])).toEqual([['SELECT status FROM users WHERE id = $1', ['2']]]);
      // The workload's time is the sum of the events' time.
      const events: WorkloadEvent[] = all.flat();
      const total = workload.statements.reduce((a, s) => a + s.totalTimeMillis, 0);
      expect(events.reduce((a, e) => a + e.durationMillis!, 0)).toBeCloseTo(total, 6);
    });
  });

  describe('stderr, csvlog and jsonlog through logging_collector', () => {
    const PREFIX_B = '%m [%p] %c %v %x %q%u@%d/%a ';
    let server: TestPostgres;
    let files: { stderr: string; csv: string; json: string };
    beforeAll(async () => {
      server = await startPostgres({
        log_min_duration_statement: '0',
        log_line_prefix: `'${PREFIX_B}'`,
        logging_collector: 'on',
        log_destination: "'stderr,csvlog,jsonlog'",
        log_directory: "'log'",
        log_min_messages: 'warning',
      });
      await runKnownWorkload(server.adminUrl);
      const dir = join(server.dataDir, 'log');
      const find = (ext: string) => () => {
        const f = readdirSync(dir).find((n) => n.endsWith(ext));
        return f ? join(dir, f) : undefined;
      };
      files = {
        stderr: await waitFor(find('.log'), END_MARKER),
        csv: await waitFor(find('.csv'), END_MARKER),
        json: await waitFor(find('.json'), END_MARKER),
      };
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('reads the same workload from all three formats', async () => {
      for (const file of [files.stderr, files.csv, files.json]) {
        assertKnownWorkload(await loadWorkload(file));
      }
    });

    it('detects the format from the content when the extension says nothing', async () => {
      const renamed = join(server.dataDir, '..', 'csv-named.log');
      copyFileSync(files.csv, renamed);
      assertKnownWorkload(await loadWorkload(renamed));
    });

    it('gives the same %c session ids and query ids from every format', async () => {
      const bySession = async (file: string, logLinePrefix?: string) => {
        const { sessions } = await loadLogSessions(file, logLinePrefix ? { logLinePrefix } : {});
        return [...sessions.entries()].map(([id, events]) => [
          id,
          events.map((e) => [e.fingerprint, e.virtualTransactionId, e.transactionId]),
        ]);
      };
      const stderr = await bySession(files.stderr, PREFIX_B);
      // shop-web and dbsage; the end marker's session ran only an excluded statement.
      expect(stderr.length).toBe(2);
      for (const [id] of stderr) expect(id).toMatch(/^[0-9a-f]{8}\.[0-9a-f]+$/);
      // Simple-protocol autocommit statements are logged after their transaction ended: no transaction ids.
      // Extended-protocol executes are logged inside their implicit transaction: one virtual xid each.
      const web = stderr.find(([, events]) => (events?.length ?? 0) > 2)![1] as [
        string,
        string | null,
        string | null,
      ][];
      expect(web.slice(0, 7).map(([, vxid, xid]) => [vxid, xid])).toEqual(Array(7).fill([null, null]));
      const extended = web.slice(7).map(([, vxid]) => vxid);
      expect(extended).toHaveLength(7);
      for (const vxid of extended) expect(vxid).toMatch(/^\d+\/[1-9]\d*$/);
      expect(new Set(extended).size).toBe(7);
      // dbsage's read-only query ran inside its BEGIN READ ONLY transaction: a vxid, no xid.
      const dbsage = stderr.find(([, events]) => events?.length === 1)![1] as [string, string | null, string | null][];
      expect(dbsage[0]![1]).toMatch(/^\d+\/\d+$/);
      expect(dbsage[0]![2]).toBeNull();
      expect(await bySession(files.csv)).toEqual(stderr);
      expect(await bySession(files.json)).toEqual(stderr);
      // pg_stat_statements is loaded, so compute_query_id = auto computes query ids: csvlog and jsonlog carry them.
      const ids = async (file: string) =>
        Object.fromEntries((await loadWorkload(file)).statements.map((s) => [s.fingerprint, s.queryId]));
      const csvIds = await ids(files.csv);
      expect(Object.values(csvIds).every((id) => id !== null && /^-?\d+$/.test(id))).toBe(true);
      expect(await ids(files.json)).toEqual(csvIds);
      expect(Object.values(await ids(files.stderr)).every((id) => id === null)).toBe(true);
    });
  });
});
