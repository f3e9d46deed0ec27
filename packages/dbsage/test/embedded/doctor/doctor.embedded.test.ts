import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../../src/doctor/runner.js';
import { EmbeddedClient } from '../../../src/engines/postgres/embedded-client.js';

/**
 * The doctor on PGlite (PostgreSQL 18): every check's SQL must run on 18 too (pg_stat_checkpointer instead of
 * pg_stat_bgwriter, pg_stat_statements 1.12), and the catalog checks find the same conditions.
 */
describe('doctor on PGlite (PostgreSQL 18)', () => {
  let client: EmbeddedClient;
  beforeAll(async () => {
    client = await EmbeddedClient.open();
    await client.execWrite(`
      CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
      CREATE TABLE parent (id int PRIMARY KEY);
      INSERT INTO parent SELECT generate_series(1, 100);
      CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent, v int);
      INSERT INTO child SELECT g, g % 100 + 1, g FROM generate_series(1, 3000) g;
      CREATE INDEX child_v ON child (v);
      CREATE INDEX child_v_again ON child (v);
      CREATE INDEX child_v_id ON child (v, id);
      CREATE TABLE nokey (a int);
      CREATE SEQUENCE nearly AS smallint;
      SELECT setval('nearly', 32000);
      ANALYZE;`);
    await client.execWrite('SELECT pg_stat_force_next_flush()');
    await client.execWrite('SELECT 1');
  });
  afterAll(async () => {
    await client?.close();
  });

  it('runs every check without an unknown outcome and finds the catalog conditions', async () => {
    const result = await runDoctor({ client });
    expect(result.capabilities.majorVersion).toBe(18);
    expect(result.outcomes.filter((o) => o.status === 'unknown')).toEqual([]);
    const by = (id: string) => result.findings.filter((f) => f.ruleId === id);
    expect(by('exact-duplicate-index').map((f) => f.evidence.duplicate)).toEqual(['child_v_again']);
    expect(by('left-prefix-index').map((f) => f.evidence.redundant)).toEqual(['child_v']);
    expect(by('unindexed-foreign-key').map((f) => f.evidence.table)).toEqual(['public.child']);
    expect(by('missing-primary-key').map((f) => f.evidence.table)).toEqual(['public.nokey']);
    const [seq] = by('sequence-overflow');
    expect(seq?.evidence.sequence).toBe('public.nearly');
    expect(seq?.evidence.usedPercent).toBeCloseTo((32000 / 32767) * 100, 1);
    expect(seq?.severity).toBe('high');
  });
});
