import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdvisorResult, adviseIndexes } from '../../../src/advisor/indexes/advise.js';
import type { IndexCandidate } from '../../../src/advisor/indexes/candidate.js';
import { readCatalog } from '../../../src/catalog/introspect.js';
import type { Catalog } from '../../../src/catalog/types.js';
import { buildDemoDatabase } from '../../../src/demo/build.js';
import { demoDataSteps } from '../../../src/demo/data.js';
import { replayDemoWorkload } from '../../../src/demo/replay.js';
import { parseModel } from '../../../src/design/model/load.js';
import { type DesignIndex, indexCovers } from '../../../src/design/postgres/design-index.js';
import { generatePostgres, type PostgresDesign } from '../../../src/design/postgres/generate.js';
import { EmbeddedClient } from '../../../src/engines/postgres/embedded-client.js';
import { modelFromCatalog } from '../../../src/lint/catalog-model.js';
import { lintSources } from '../../../src/lint/linter.js';
import type { Workload } from '../../../src/workload/types.js';

const SCALE = 0.1;
const MODEL = new URL('../../../../../examples/design/dbsage.model.yaml', import.meta.url);

/** An advisor candidate in the design's index shape. */
function asDesignIndex(c: IndexCandidate): DesignIndex {
  return {
    table: c.table,
    method: c.method,
    keys: c.keys.map((k) => ({ ...k })),
    include: [...c.include],
    predicate: c.predicate,
    unique: false,
    name: c.name,
    reasons: [],
  };
}

/** The indexes of a live catalog (constraint-backed ones included: a primary key serves lookups too). */
function catalogIndexes(catalog: Catalog): DesignIndex[] {
  return catalog.tables.flatMap((t) =>
    t.indexes.map((ix) => ({
      table: t.name,
      method: ix.method,
      keys: ix.keys.map((k) => ({
        column: k.column,
        expression: k.expression,
        descending: k.descending,
        opclass: k.opclass,
      })),
      include: [...ix.include],
      predicate: ix.predicate,
      unique: ix.unique,
      name: ix.name,
      reasons: [],
    })),
  );
}

describe('the demo SaaS model (PGlite)', () => {
  let demo: EmbeddedClient;
  let designed: EmbeddedClient;
  let design: PostgresDesign;
  let workload: Workload;
  let advised: AdvisorResult;
  let designedCatalog: Catalog;

  beforeAll(async () => {
    design = await generatePostgres(parseModel(readFileSync(MODEL, 'utf8'), 'dbsage.model.yaml').logical);
    // The demo database as shipped (indexes left to the advisor), its workload, and the advisor's advice.
    demo = await EmbeddedClient.open();
    await buildDemoDatabase((sql) => demo.execWrite(sql), SCALE);
    workload = await replayDemoWorkload(demo, SCALE);
    advised = await adviseIndexes(demo, workload);
    // The designed schema, loaded with the same data.
    designed = await EmbeddedClient.open();
    await designed.execWrite(design.sql);
    await designed.execWrite('SET session_replication_role = replica');
    for (const step of demoDataSteps(SCALE)) await designed.execWrite(step.sql);
    await designed.execWrite('SET session_replication_role = origin');
    await designed.execWrite('ANALYZE');
    designedCatalog = await designed.transaction((tx) => readCatalog(tx));
  });
  afterAll(async () => {
    await demo?.close();
    await designed?.close();
  });

  it('loads on PGlite with every table, constraint, trigger and index', () => {
    const names = designedCatalog.tables
      .filter((t) => t.schema === 'public')
      .map((t) => t.name)
      .sort();
    expect(names).toEqual(['comments', 'order_items', 'orders', 'posts', 'products', 'teams', 'user_teams', 'users']);
    const users = designedCatalog.tables.find((t) => t.name === 'users')!;
    expect(users.triggers.map((t) => t.name)).toEqual(['users_set_updated_at']);
    const orders = designedCatalog.tables.find((t) => t.name === 'orders')!;
    expect(orders.constraints.find((c) => c.kind === 'foreign')!.references).toMatchObject({
      table: 'users',
      onDelete: 'RESTRICT',
    });
    const live = catalogIndexes(designedCatalog)
      .filter((i) => !i.unique)
      .map((i) => i.name)
      .sort();
    expect(live).toEqual(design.indexes.map((i) => i.name).sort());
    expect(designedCatalog.tables.find((t) => t.name === 'orders')!.rowEstimate).toBeGreaterThan(1000);
  });

  it('the designed schema enforces its constraints', async () => {
    await expect(
      designed.execWrite("INSERT INTO users (email, name) VALUES ('not-an-email', 'x')"),
    ).rejects.toMatchObject({ sqlState: '23514' });
    await expect(
      designed.execWrite("INSERT INTO orders (user_id, status, total) VALUES (gen_random_uuid(), 'paid', 1)"),
    ).rejects.toMatchObject({ sqlState: '23503' });
    const before = await designed.query<{ u: string }>(
      "SELECT updated_at::text AS u FROM users WHERE email = 'user1@example.com'",
    );
    await designed.execWrite("UPDATE users SET name = 'renamed' WHERE email = 'user1@example.com'");
    const after = await designed.query<{ u: string }>(
      "SELECT updated_at::text AS u FROM users WHERE email = 'user1@example.com'",
    );
    expect(after.rows[0]!.u).not.toBe(before.rows[0]!.u);
  });

  it('raises zero design findings from lint, on the DDL and on the live catalog', async () => {
    const onFile = await lintSources([{ file: 'design.sql', text: design.sql }], { profiles: ['design'] });
    expect(onFile.findings).toEqual([]);
    const onCatalog = await lintSources([], { profiles: ['design'], model: modelFromCatalog(designedCatalog) });
    expect(onCatalog.findings).toEqual([]);
    // Negative control: the shipped demo schema (indexes left to the advisor) does raise design findings.
    const demoCatalog = await demo.transaction((tx) => readCatalog(tx));
    const onDemo = await lintSources([], { profiles: ['design'], model: modelFromCatalog(demoCatalog) });
    expect(onDemo.findings.map((f) => f.ruleId)).toContain('fk-without-index');
  });

  it('covers every index the advisor recommends for the demo workload on the same data', () => {
    expect(advised.recommendations.length).toBeGreaterThanOrEqual(6);
    const mine = catalogIndexes(designedCatalog);
    const uncovered = advised.recommendations
      .map((r) => asDesignIndex(r.candidate))
      .filter((want) => !mine.some((have) => indexCovers(have, want)));
    expect(uncovered.map((u) => u.name)).toEqual([]);
  });

  it('leaves the advisor nothing to add on the designed schema', async () => {
    const again = await adviseIndexes(designed, workload);
    expect(again.recommendations.map((r) => r.ddl)).toEqual([]);
  });
});
