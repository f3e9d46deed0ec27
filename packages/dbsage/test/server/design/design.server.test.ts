import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../../test/support/pg-database.js';
import { adviseIndexes } from '../../../src/advisor/indexes/advise.js';
import { readCatalog } from '../../../src/catalog/introspect.js';
import { buildDemoDatabase } from '../../../src/demo/build.js';
import { replayDemoWorkload } from '../../../src/demo/replay.js';
import { type IntrospectedModel, introspectModel } from '../../../src/design/from/introspect.js';
import { schemaSignature } from '../../../src/design/from/schema-signature.js';
import { parseModel } from '../../../src/design/model/load.js';
import { indexCovers } from '../../../src/design/postgres/design-index.js';
import { generatePostgres, type PostgresDesign } from '../../../src/design/postgres/generate.js';
import { ServerClient } from '../../../src/engines/postgres/server-client.js';
import { modelFromCatalog } from '../../../src/lint/catalog-model.js';
import { lintSources } from '../../../src/lint/linter.js';
import type { Workload } from '../../../src/workload/types.js';

const SCALE = 0.02;
const MODEL = new URL('../../../../../examples/design/dbsage.model.yaml', import.meta.url);

describe.skipIf(!hasTestPostgres())('design on PostgreSQL 15', () => {
  let demo: TestDatabase;
  let regenerated: TestDatabase;
  let example: TestDatabase;
  let demoClient: ServerClient;
  let introspected: IntrospectedModel;
  let workload: Workload;
  let exampleDesign: PostgresDesign;

  beforeAll(async () => {
    demo = await createTestDatabase('design_demo');
    await buildDemoDatabase((sql) => demo.admin.query(sql), SCALE);
    demoClient = await ServerClient.connect({ connectionString: demo.url });
    await demo.admin.query('SELECT pg_stat_statements_reset()');
    workload = await replayDemoWorkload(demoClient, SCALE);
    await demo.flushStats();
    introspected = await introspectModel(demoClient);
    regenerated = await createTestDatabase('design_regen', []);
    example = await createTestDatabase('design_example', []);
  });
  afterAll(async () => {
    await demoClient?.close();
    await demo?.drop();
    await regenerated?.drop();
    await example?.drop();
  });

  it('the demo model’s DDL loads and raises no design findings on the live catalog', async () => {
    const design = await generatePostgres(parseModel(readFileSync(MODEL, 'utf8'), 'dbsage.model.yaml').logical);
    exampleDesign = design;
    await example.admin.query(design.sql);
    const client = await ServerClient.connect({ connectionString: example.url });
    try {
      const catalog = await client.transaction((tx) => readCatalog(tx));
      expect(catalog.serverVersionNum).toBeGreaterThanOrEqual(150000);
      expect(catalog.tables.filter((t) => t.schema === 'public')).toHaveLength(8);
      const indexes = catalog.tables.flatMap((t) => t.indexes.filter((i) => !i.constraintName).map((i) => i.name));
      expect(indexes.sort()).toEqual(design.indexes.map((i) => i.name).sort());
      const lint = await lintSources([], { profiles: ['design'], model: modelFromCatalog(catalog) });
      expect(lint.findings).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('design --from, then design, gives an equivalent schema', async () => {
    expect(introspected.model.accessPatterns?.length).toBeGreaterThan(3);
    const design = await generatePostgres(parseModel(introspected.yaml, 'from.yaml').logical);
    await regenerated.admin.query(design.sql);
    const a = await demoClient.transaction((tx) => readCatalog(tx, { stats: false }));
    const client = await ServerClient.connect({ connectionString: regenerated.url });
    try {
      const b = await client.transaction((tx) => readCatalog(tx, { stats: false }));
      const original = schemaSignature(a);
      const again = schemaSignature(b);
      expect(Object.keys(again.tables).sort()).toEqual(Object.keys(original.tables).sort());
      for (const name of Object.keys(original.tables)) expect(again.tables[name], name).toEqual(original.tables[name]);
    } finally {
      await client.close();
    }
  });

  it('its indexes cover what the index advisor (HypoPG) recommends for the demo workload on the demo data', async () => {
    const advised = await adviseIndexes(demoClient, workload);
    expect(advised.engine).toBe('hypopg');
    expect(advised.recommendations.length).toBeGreaterThan(0);
    // Every index of the designed schema, constraint-backed ones included (a primary key serves lookups too).
    const designed = await ServerClient.connect({ connectionString: example.url });
    const catalog = await designed.transaction((tx) => readCatalog(tx, { stats: false }));
    await designed.close();
    const mine = catalog.tables.flatMap((t) =>
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
    expect(
      mine
        .filter((i) => !i.unique)
        .map((i) => i.name)
        .sort(),
    ).toEqual(exampleDesign.indexes.map((i) => i.name).sort());
    const uncovered = advised.recommendations.filter(
      (r) =>
        !mine.some((have) =>
          indexCovers(have, {
            table: r.candidate.table,
            method: r.candidate.method,
            keys: r.candidate.keys.map((k) => ({ ...k })),
            include: [...r.candidate.include],
            predicate: r.candidate.predicate,
            unique: false,
            name: null,
            reasons: [],
          }),
        ),
    );
    expect(uncovered.map((r) => r.ddl)).toEqual([]);
  });
});
