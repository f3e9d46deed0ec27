import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';

const EXAMPLES = new URL('../../../../../examples/design/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'dbsage-design-'));

describe('dbsage design / choose (CLI)', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('design MODEL prints the migration; --target mongo prints the mongosh script', async () => {
    const pg = await runCli(['design', join(EXAMPLES, 'dbsage.model.yaml')]);
    expect(pg.code).toBe(0);
    expect(pg.stdout).toMatch(/^-- dbsage design: demo-saas\n/);
    expect(pg.stdout).toContain('CREATE TABLE user_teams (');
    expect(pg.stdout.trimEnd().endsWith('COMMIT;')).toBe(true);
    const mongo = await runCli(['design', join(EXAMPLES, 'dbsage.model.yaml'), '--target', 'mongo']);
    expect(mongo.code).toBe(0);
    expect(mongo.stdout).toContain('db.createCollection("users"');
    expect(mongo.stdout).toContain('db.getCollection("orders").createIndex({"user_id":1,"status":1,"created_at":-1}');
  });

  it('design --target both --out DIR writes the migration, MongoDB files and the rationale', async () => {
    const out = join(dir, 'both');
    const r = await runCli(['design', join(EXAMPLES, 'dbsage.model.yaml'), '--target', 'both', '--out', out]);
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((p) => p.slice(out.length + 1)),
    ).toEqual(['postgres/0001_demo_saas.sql', 'mongo/collections.json', 'mongo/setup.mongosh.js', 'rationale.md']);
    const rationale = readFileSync(join(out, 'rationale.md'), 'utf8');
    expect(rationale).toContain('```mermaid\nerDiagram\n');
    expect(rationale).toContain('  users ||--o{ orders : "user_id"');
    expect(rationale).toMatch(
      /- \*\*orders_user_id_status_created_at_idx\*\*: index on orders .* \(pattern:orders-of-user-by-status\)/,
    );
    expect(rationale).toMatch(/- \*\*teams N:M users\*\*: embed teams in users — .* \(rule:mongo-model-advice\)/);
    const collections = JSON.parse(readFileSync(join(out, 'mongo/collections.json'), 'utf8')) as { name: string }[];
    expect(collections.map((c) => c.name)).toEqual(['users', 'teams', 'products', 'orders', 'posts', 'comments']);
  });

  it('a malformed model names the path and the line, exit 2', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'version: 1\nname: x\nentities:\n  users:\n    fields:\n      email: { type: strin }\n');
    const r = await runCli(['design', bad]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^dbsage: .*bad\.yaml:6:22: entities\.users\.fields\.email\.type: expected one of "string"/,
    );
  });

  it('design --from an empty database is an input error, exit 2', async () => {
    const r = await runCli(['design', '--from', '--embedded']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('has no tables in schema public');
  });

  it('choose --answers FILE ranks engines; a bad answer names its line, exit 2', async () => {
    const ok = await runCli([
      'choose',
      '--answers',
      join(EXAMPLES, 'choose/session-cache.yaml'),
      '--format',
      'markdown',
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^# dbsage choose\n\n## Ranking\n\n1\. \*\*Redis\*\*/);
    expect(ok.stdout).toContain('## Boring default');
    const json = await runCli(['choose', '--answers', join(EXAMPLES, 'choose/social-graph.yaml'), '--format', 'json']);
    expect((JSON.parse(json.stdout) as { ranking: { id: string }[] }).ranking[0]!.id).toBe('neo4j');
    const bad = join(dir, 'answers.yaml');
    writeFileSync(bad, 'data_shape: graph\nlatency: instant\n');
    const r = await runCli(['choose', '--answers', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /answers\.yaml:2:10: latency: expected one of "relaxed", "interactive", "sub-ms" \(got "instant"\)/,
    );
  });

  it('choose without a terminal asks for --answers or --yes; --yes takes the defaults', async () => {
    const partial = join(dir, 'partial.yaml');
    writeFileSync(partial, 'data_shape: documents\n');
    const r = await runCli(['choose', '--answers', partial]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('13 question(s) unanswered');
    const yes = await runCli(['choose', '--answers', partial, '--yes']);
    expect(yes.code).toBe(0);
    expect(yes.stdout).toContain('1. PostgreSQL + jsonb');
  });
});
