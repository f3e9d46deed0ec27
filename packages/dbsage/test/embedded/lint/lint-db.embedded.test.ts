import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCatalog } from '../../../src/catalog/introspect.js';
import type { Catalog } from '../../../src/catalog/types.js';
import { DEMO_SCHEMA_SQL } from '../../../src/demo/schema.js';
import { EmbeddedClient } from '../../../src/engines/postgres/embedded-client.js';
import { modelFromCatalog } from '../../../src/lint/catalog-model.js';
import { lintSources } from '../../../src/lint/linter.js';
import { lintFixture } from '../../unit/lint/support.js';

/**
 * The same design rules on the live catalog (PGlite, PostgreSQL 18): the flawed schema and the demo schema are
 * created for real, the catalog is read into the lint model, and the findings match the file-based run. Then
 * a migration is replayed on top of the catalog: tables that exist are lock hazards, ranked by their size.
 */
describe('lint --db on PGlite', () => {
  let client: EmbeddedClient;
  let catalog: Catalog;

  beforeAll(async () => {
    client = await EmbeddedClient.open();
    await client.execWrite(DEMO_SCHEMA_SQL);
    await client.execWrite(readFileSync(lintFixture('flawed-schema.sql'), 'utf8'));
    await client.execWrite(
      "INSERT INTO products (sku, name, category, price) SELECT 'sku' || g, 'p', 'c', 1 FROM generate_series(1, 20000) g",
    );
    await client.execWrite('ANALYZE');
    catalog = await client.transaction((tx) => readCatalog(tx, { stats: false }));
  });
  afterAll(async () => {
    await client?.close();
  });

  it('design rules on the catalog find what they find on the files', async () => {
    const files = await lintSources([
      { file: 'flawed.sql', text: readFileSync(lintFixture('flawed-schema.sql'), 'utf8') },
    ]);
    const db = await lintSources([], { model: modelFromCatalog(catalog) });
    const demoTables = ['users', 'teams', 'user_teams', 'products', 'orders', 'order_items', 'posts', 'comments'];
    const onDemo = (f: { title: string }) =>
      demoTables.some((t) => f.title.startsWith(`${t}.`) || f.title.includes(` ${t} `));
    const key = (f: { ruleId: string; title: string }) => `${f.ruleId}: ${f.title}`;
    // Same rules on the same objects (catalog findings point at objects instead of lines).
    expect(
      db.findings
        .filter((f) => !onDemo(f))
        .map(key)
        .sort(),
    ).toEqual(files.findings.map(key).sort());
    const fk = db.findings.find((f) => f.ruleId === 'fk-without-index' && f.title.startsWith('invoices.customer_id'))!;
    expect(fk.location).toEqual({ object: 'invoices.customer_id' });
  });

  it('the demo schema on the catalog raises only the foreign keys left to the index advisor', async () => {
    const db = await lintSources([], { model: modelFromCatalog(catalog) });
    const demoTables = ['users', 'teams', 'user_teams', 'products', 'orders', 'order_items', 'posts', 'comments'];
    const onDemo = db.findings.filter((f) =>
      demoTables.some((t) => f.title.startsWith(`${t}.`) || f.title.includes(` ${t} `)),
    );
    expect(onDemo.length).toBeGreaterThan(0);
    expect(onDemo.map((f) => f.ruleId).sort()).toEqual(Array(6).fill('fk-without-index'));
  });

  it('a migration on existing tables is a lock hazard, ranked by table size; a table it creates is not', async () => {
    const migration = [
      "SET lock_timeout = '2s';",
      'CREATE INDEX products_category_idx ON products (category);',
      'CREATE INDEX teams_name_idx ON teams (name);',
      'CREATE TABLE coupons (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, code text NOT NULL);',
      'CREATE INDEX coupons_code_idx ON coupons (code);',
      'CREATE TABLE users (id uuid PRIMARY KEY);',
      'CREATE INDEX users_name_idx ON users (name);',
    ].join('\n');
    const products = catalog.tables.find((t) => t.name === 'products')!;
    const productsBytes = products.heapBytes + products.toastBytes + products.indexBytes;
    const teams = catalog.tables.find((t) => t.name === 'teams')!;
    const teamsBytes = teams.heapBytes + teams.toastBytes + teams.indexBytes;
    expect(productsBytes).toBeGreaterThan(teamsBytes * 10);
    const r = await lintSources([{ file: 'm.sql', text: migration }], {
      model: modelFromCatalog(catalog),
      profiles: ['safety'],
      smallTableBytes: teamsBytes + 1,
      largeTableBytes: productsBytes,
    });
    const idx = r.findings.filter((f) => f.ruleId === 'create-index-not-concurrent');
    const byTable = Object.fromEntries(idx.map((f) => [String(f.title.split(' on ')[1]).split(' ')[0], f]));
    expect(Object.keys(byTable).sort()).toEqual(['products', 'teams', 'users']);
    // products is "large": high → critical; teams is "small": high → low.
    expect(byTable.products!.severity).toBe('critical');
    expect(byTable.products!.evidence).toMatchObject({ tableBytes: productsBytes, rankedBySize: 'large table' });
    expect(byTable.products!.evidence.rowEstimate).toBeGreaterThan(19_000);
    expect(byTable.teams!.severity).toBe('low');
    expect(byTable.teams!.evidence).toMatchObject({ tableBytes: teamsBytes, rankedBySize: 'small table' });
    // users exists in the database, so its CREATE TABLE is an applied migration, not a new table.
    expect(byTable.users).toBeDefined();
  });
});
