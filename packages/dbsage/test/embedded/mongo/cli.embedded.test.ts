import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';

const root = fileURLToPath(new URL('../../../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dbsage-mongo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dbsage mongo (offline)', () => {
  it('a malformed samples file gives file:line and exit 2', async () => {
    writeFileSync(join(dir, 'bad.ndjson'), '{"a":1}\n{"a":2}\n{"a":3,}\n');
    const r = await runCli(['mongo', '--samples', 'bad.ndjson'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('dbsage: bad.ndjson:3:8: invalid JSON: expected a quoted property name\n');
  });

  it('a malformed queries file and a missing file are input errors too', async () => {
    writeFileSync(join(dir, 'ok.ndjson'), '{"a":1}\n');
    writeFileSync(join(dir, 'q.json'), '[\n  {"find": "ok"},\n  {"nope": 1}\n]\n');
    expect((await runCli(['mongo', '--samples', 'ok.ndjson', '--queries', 'q.json'], { cwd: dir })).stderr).toMatch(
      /^dbsage: q\.json:3: not a MongoDB command/,
    );
    const missing = await runCli(['mongo', '--samples', 'nothere.ndjson'], { cwd: dir });
    expect([missing.code, missing.stderr]).toEqual([2, 'dbsage: cannot read nothere.ndjson: ENOENT\n']);
  });

  it('usage errors exit 2', async () => {
    expect((await runCli(['mongo'], { cwd: dir, env: { MONGODB_URI: '' } })).stderr).toMatch(/nothing to analyse/);
    expect((await runCli(['mongo', 'postgres://x@h/db'], { cwd: dir })).stderr).toMatch(/not a MongoDB URI/);
    const t = await runCli(['mongo', '--samples', 'ok.ndjson', '--threshold', 'bogus=1'], { cwd: dir });
    expect([t.code, t.stderr]).toEqual([2, 'dbsage: --threshold: unknown MongoDB threshold "bogus"\n']);
  });

  it('analyses the shipped data set, fails on high findings, writes TypeScript and validators', async () => {
    const r = await runCli(
      [
        'mongo',
        '--samples',
        `${root}examples/mongo/shop`,
        '--queries',
        `${root}examples/mongo/shop.queries.json`,
        '--pipeline',
        `${root}examples/mongo/top-products.pipeline.json`,
        '--format',
        'json',
        '--fail-on',
        'high',
        '--typescript',
        'shop.d.ts',
        '--json-schema',
        'validators.json',
      ],
      { cwd: dir },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const findings = JSON.parse(r.stdout) as { ruleId: string; category: string; fingerprint: string }[];
    expect(findings.every((f) => f.category === 'mongo' && f.ruleId.startsWith('mongo-'))).toBe(true);
    expect(new Set(findings.map((f) => f.fingerprint)).size).toBe(findings.length);
    expect(readFileSync(join(dir, 'shop.d.ts'), 'utf8')).toContain('export interface OrdersDocument {');
    const validators = JSON.parse(readFileSync(join(dir, 'validators.json'), 'utf8'));
    expect(Object.keys(validators)).toEqual(['users', 'posts', 'products', 'orders'].sort());
    expect(validators.orders.$jsonSchema.properties.status).toEqual({ bsonType: 'string' });
  });

  it('a bare pipeline with --collection on one sample file', async () => {
    writeFileSync(join(dir, 'events.ndjson'), '{"_id":1,"k":"a"}\n{"_id":2,"k":"b"}\n');
    writeFileSync(join(dir, 'p.json'), '[{"$match":{"k":"a"}},{"$sort":{"_id":-1}}]');
    const r = await runCli(
      ['mongo', '--samples', 'events.ndjson', '--collection', 'events', '--pipeline', 'p.json', '--format', 'json'],
      { cwd: dir },
    );
    const findings = JSON.parse(r.stdout) as {
      ruleId: string;
      evidence: Record<string, unknown>;
      remediation?: { code?: string };
    }[];
    expect(findings.find((f) => f.ruleId === 'mongo-unindexed-query')?.remediation?.code).toBe(
      'db.events.createIndex({ k: 1, _id: -1 })',
    );
    expect(findings.find((f) => f.ruleId === 'mongo-dry-run')?.evidence.result).toEqual([{ _id: 1, k: 'a' }]);
  });
});
