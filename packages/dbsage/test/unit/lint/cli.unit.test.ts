import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';

/** `dbsage lint` end to end (in-process CLI): exit codes, formats, config file, directory order. */
describe('dbsage lint CLI', { timeout: 60_000 }, () => {
  const project = () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbsage-lint-cli-'));
    mkdirSync(join(dir, 'migrations'));
    writeFileSync(
      join(dir, 'migrations', '001_init.sql'),
      'CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, a text);\n',
    );
    writeFileSync(
      join(dir, 'migrations', '002_index.sql'),
      'CREATE INDEX t_a ON t (a);\nCREATE INDEX users_a ON users (a);\n',
    );
    return dir;
  };

  it('lints a directory in order: the index on the table created in 001 is not reported; --fail-on high exits 1', async () => {
    const dir = project();
    const r = await runCli(['lint', 'migrations', '--format', 'json', '--fail-on', 'high'], { cwd: dir });
    expect(r.code).toBe(1);
    const findings = JSON.parse(r.stdout) as {
      ruleId: string;
      title: string;
      location: { file: string; line: number };
    }[];
    const idx = findings.filter((f) => f.ruleId === 'create-index-not-concurrent');
    expect(idx.map((f) => f.title)).toEqual(['index users_a on users is built without CONCURRENTLY']);
    expect(idx[0]!.location).toMatchObject({ file: 'migrations/002_index.sql', line: 2 });
  });

  it('without --fail-on exits 0; a syntax error exits 2 and the other files are still linted', async () => {
    const dir = project();
    expect((await runCli(['lint', 'migrations', '--quiet'], { cwd: dir })).code).toBe(0);
    writeFileSync(join(dir, 'migrations', '003_bad.sql'), 'ALTER TABLE users DROP COLUMN x;\nALTR TABLE t;\n');
    const r = await runCli(['lint', 'migrations', '--format', 'json'], { cwd: dir });
    expect(r.code).toBe(2);
    const findings = JSON.parse(r.stdout) as {
      ruleId: string;
      location: { file: string; line: number; column: number };
    }[];
    expect(findings.find((f) => f.ruleId === 'syntax-error')?.location).toEqual({
      file: 'migrations/003_bad.sql',
      line: 2,
      column: 1,
    });
    expect(findings.map((f) => f.ruleId)).toEqual(
      expect.arrayContaining(['drop-column', 'create-index-not-concurrent']),
    );
  });

  it('reads dbsage.config.json (rules off, preset) and rejects a bad one with exit 2', async () => {
    const dir = project();
    writeFileSync(
      join(dir, 'dbsage.config.json'),
      JSON.stringify({ lint: { rules: { 'create-index-not-concurrent': 'off' } } }),
    );
    const r = await runCli(['lint', 'migrations', '--format', 'json'], { cwd: dir });
    expect(JSON.parse(r.stdout).map((f: { ruleId: string }) => f.ruleId)).not.toContain('create-index-not-concurrent');
    writeFileSync(join(dir, 'dbsage.config.json'), JSON.stringify({ lint: { preset: 'rails' } }));
    const bad = await runCli(['lint', 'migrations'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/dbsage\.config\.json: unknown preset "rails"/);
  });

  it('usage errors exit 2: no paths and no --db, unknown profile', async () => {
    expect((await runCli(['lint'])).code).toBe(2);
    const dir = project();
    const r = await runCli(['lint', 'migrations', '--profile', 'speed'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--profile takes safety, design, style or all/);
  });

  it('--since treats earlier files as deployed: the index on t is reported now', async () => {
    const dir = project();
    const r = await runCli(['lint', 'migrations', '--since', 'migrations/002_index.sql', '--format', 'json'], {
      cwd: dir,
    });
    const titles = JSON.parse(r.stdout).map((f: { title: string }) => f.title);
    expect(titles).toContain('index t_a on t is built without CONCURRENTLY');
  });

  it('--list-rules lists every rule with its profile', async () => {
    const r = await runCli(['lint', '--list-rules']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^create-index-not-concurrent\s+safety\s+high/m);
    expect(r.stdout.trim().split('\n').length).toBe(43);
  });
});
