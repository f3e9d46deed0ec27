import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';

describe('dbsage CLI contract', () => {
  it('a SQL file with a syntax error gives file:line:col and the parser message, exit 2, other statements kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbsage-cli-'));
    writeFileSync(join(dir, 'bad.sql'), 'SELECT 1;\n-- comment\nSELECT * FRO users;\nSELECT 2;\n');
    const r = await runCli(['parse', 'bad.sql'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('dbsage: bad.sql:3:10: syntax error at or near "FRO"');
    const parsed = JSON.parse(r.stdout) as { location: string }[];
    expect(parsed.map((p) => p.location)).toEqual(['bad.sql:1:1', 'bad.sql:4:1']);
  });

  it('an unreachable URL gives one line naming host:port without the password, exit 2', async () => {
    const r = await runCli(['catalog', 'postgres://admin:s3cr3t-pw@127.0.0.1:9/prod']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('127.0.0.1:9');
    expect(r.stderr).not.toContain('s3cr3t-pw');
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace without --debug
  });

  it('unknown options are usage errors (exit 2); --help exits 0', async () => {
    expect((await runCli(['parse', '--nope', 'x.sql'])).code).toBe(2);
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('demo');
  });
});

describe('dbsage demo', () => {
  it('--format json prints a JSON array of findings in the schema and writes the markdown report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbsage-demo-'));
    const r = await runCli(['demo', '--scale', '0.03', '--format', 'json', '--quiet'], { cwd: dir });
    expect(r.code).toBe(0);
    const findings = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(Array.isArray(findings)).toBe(true);
    for (const f of findings) {
      expect(typeof f.ruleId).toBe('string');
      expect(['info', 'low', 'medium', 'high', 'critical']).toContain(f.severity);
      expect(typeof f.title).toBe('string');
      expect(typeof f.summary).toBe('string');
      expect(typeof f.evidence).toBe('object');
      expect(typeof f.fingerprint).toBe('string');
    }
    // End to end: the discovered analyzers ran and found the demo's planted problems.
    const titles = findings.filter((f) => f.ruleId === 'index-recommendation').map((f) => String(f.title));
    for (const kind of [
      '(lower(email))',
      'gin_trgm_ops',
      'jsonb_path_ops',
      "to_tsvector('english', body)",
      "WHERE status = 'banned'",
      'INCLUDE (name, price)',
    ]) {
      expect(titles.some((t) => t.includes(kind))).toBe(true);
    }
    expect(findings.some((f) => f.ruleId === 'unindexed-foreign-key')).toBe(true);
    const md = readFileSync(join(dir, 'dbsage-report.md'), 'utf8');
    expect(md).toMatch(/^# dbsage demo/);
    expect(md).toContain('CREATE INDEX CONCURRENTLY');
  });
});

describe('dbsage workload', () => {
  it('a log with garbage lines reports how many were skipped and still produces the workload', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbsage-wl-'));
    writeFileSync(
      join(dir, 'pg.log'),
      [
        '2026-11-27 10:00:00.001 UTC [42] LOG:  duration: 1.500 ms  statement: SELECT * FROM users WHERE id = 5',
        'GARBAGE LINE HERE',
        '2026-11-27 10:00:00.002 UTC [42] LOG:  duration: 2.500 ms  statement: SELECT * FROM users WHERE id = 7',
        '\u0000\u0001 binary junk',
        '',
      ].join('\n'),
    );
    const r = await runCli(['workload', '--source', 'pg.log', '--format', 'json'], { cwd: dir });
    expect(r.code).toBe(0);
    const w = JSON.parse(r.stdout);
    expect(w.statements).toHaveLength(1);
    expect(w.statements[0]).toMatchObject({ query: 'SELECT * FROM users WHERE id = $1', calls: 2, totalTimeMillis: 4 });
    expect(w.skipped.count).toBe(2);
    expect(r.stderr).toContain('skipped 2 unreadable entries');
  });
});
