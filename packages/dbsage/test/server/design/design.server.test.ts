import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../../test/support/pg-database.js';
import { readCatalog } from '../../../src/catalog/introspect.js';
import { buildDemoDatabase } from '../../../src/demo/build.js';
import { replayDemoWorkload } from '../../../src/demo/replay.js';
import { type IntrospectedModel, introspectModel } from '../../../src/design/from/introspect.js';
import { schemaSignature } from '../../../src/design/from/schema-signature.js';
import { parseModel } from '../../../src/design/model/load.js';
import { generatePostgres } from '../../../src/design/postgres/generate.js';
import { ServerClient } from '../../../src/engines/postgres/server-client.js';
import { modelFromCatalog } from '../../../src/lint/catalog-model.js';
import { lintSources } from '../../../src/lint/linter.js';

const SCALE = 0.02;
const MODEL = new URL('../../../../../examples/design/dbsage.model.yaml', import.meta.url);

describe.skipIf(!hasTestPostgres())('design on PostgreSQL 15', () => {
  let demo: TestDatabase;
  let regenerated: TestDatabase;
  let example: TestDatabase;
  let demoClient: ServerClient;
  let introspected: IntrospectedModel;

  beforeAll(async () => {
    demo = await createTestDatabase('design_demo');
    await buildDemoDatabase((sql) => demo.admin.query(sql), SCALE);
    demoClient = await ServerClient.connect({ connectionString: demo.url });
    await demo.admin.query('SELECT pg_stat_statements_reset()');
    await replayDemoWorkload(demoClient, SCALE);
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
});
