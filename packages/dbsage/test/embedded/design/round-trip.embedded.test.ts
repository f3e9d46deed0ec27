import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCatalog } from '../../../src/catalog/introspect.js';
import { buildDemoDatabase } from '../../../src/demo/build.js';
import { replayDemoWorkload } from '../../../src/demo/replay.js';
import { type IntrospectedModel, introspectModel } from '../../../src/design/from/introspect.js';
import { schemaSignature } from '../../../src/design/from/schema-signature.js';
import { parseModel } from '../../../src/design/model/load.js';
import { generatePostgres } from '../../../src/design/postgres/generate.js';
import { EmbeddedClient } from '../../../src/engines/postgres/embedded-client.js';

const SCALE = 0.02;

describe('design --from on the demo database, then design (PGlite)', () => {
  let demo: EmbeddedClient;
  let again: EmbeddedClient;
  let introspected: IntrospectedModel;

  beforeAll(async () => {
    demo = await EmbeddedClient.open();
    await demo.execWrite('CREATE EXTENSION pg_stat_statements');
    await buildDemoDatabase((sql) => demo.execWrite(sql), SCALE);
    await demo.execWrite('SELECT pg_stat_statements_reset()');
    await replayDemoWorkload(demo, SCALE);
    await demo.execWrite('SELECT pg_stat_force_next_flush()');
    introspected = await introspectModel(demo);
    again = await EmbeddedClient.open();
  });
  afterAll(async () => {
    await demo?.close();
    await again?.close();
  });

  it('writes a model with entities, relationships, recognised CHECKs and the workload as access patterns', () => {
    const m = introspected.model;
    expect(Object.keys(m.entities).sort()).toEqual([
      'comments',
      'orders',
      'posts',
      'products',
      'teams',
      'user_teams',
      'users',
    ]);
    expect(m.entities.users!.key).toEqual({ strategy: 'uuid', generator: 'uuid_generate_v4()' });
    expect(m.entities.users!.fields!.status).toEqual({
      type: 'enum',
      required: true,
      default: 'active',
      values: ['active', 'inactive', 'banned'],
    });
    expect(m.entities.users!.fields!.email).toMatchObject({ type: 'string', format: 'email', required: true });
    expect(m.entities.users!.fields!.updated_at).toMatchObject({ onUpdate: 'now' });
    expect(m.entities.products!.fields!.price).toEqual({
      type: 'decimal',
      precision: 10,
      scale: 2,
      required: true,
      min: 0,
    });
    expect(m.relationships).toContainEqual({
      type: 'N:M',
      from: 'orders',
      to: 'products',
      through: 'order_items',
      onDelete: { from: 'cascade', to: 'restrict' },
      fields: {
        quantity: { type: 'integer', required: true, exclusiveMin: 0 },
        unit_price: { type: 'decimal', precision: 10, scale: 2, required: true },
      },
    });
    expect(m.relationships).toContainEqual({ type: '1:N', from: 'users', to: 'orders', onDelete: 'restrict' });
    expect(m.settings!.deriveIndexes).toBe(false);
    // pg_stat_statements had the replayed workload: the filter-sort query is an access pattern with its SQL.
    const patterns = m.accessPatterns ?? [];
    const orders = patterns.find(
      (p) => p.entity === 'orders' && /status = \$\d+ ORDER BY created_at DESC/.test(p.sql ?? ''),
    );
    expect(orders, JSON.stringify(patterns.map((p) => p.sql))).toBeDefined();
    expect(orders!.description).toMatch(/^\d+ calls, /);
    expect(introspected.yaml).toContain('# Written by dbsage design --from.');
  });

  it('regenerates an equivalent schema: same tables, columns, types, constraints, indexes and triggers', async () => {
    const loaded = parseModel(introspected.yaml, 'from.yaml');
    const design = await generatePostgres(loaded.logical);
    await again.execWrite(design.sql);
    const original = schemaSignature(await demo.transaction((tx) => readCatalog(tx, { stats: false })));
    const regenerated = schemaSignature(await again.transaction((tx) => readCatalog(tx, { stats: false })));
    expect(Object.keys(regenerated.tables).sort()).toEqual(Object.keys(original.tables).sort());
    for (const name of Object.keys(original.tables)) {
      expect(regenerated.tables[name], name).toEqual(original.tables[name]);
    }
    // The comparison is not vacuous: one dropped CHECK makes the schemas differ.
    await again.execWrite('ALTER TABLE orders DROP CONSTRAINT orders_total_range');
    const broken = schemaSignature(await again.transaction((tx) => readCatalog(tx, { stats: false })));
    expect(broken.tables.orders).not.toEqual(original.tables.orders);
    expect(broken.tables.users).toEqual(original.tables.users);
  });

  it('with deriveIndexes the same model adds foreign-key indexes, and access-pattern indexes where tables are big', async () => {
    const derived = introspected.yaml.replace('deriveIndexes: false', 'deriveIndexes: true');
    const small = await generatePostgres(parseModel(derived, 'from.yaml').logical);
    // At this scale every table is small: only foreign keys get indexes, and the rationale says why.
    expect(small.indexes.every((i) => i.reasons.some((r) => r.basis === 'rule:fk-without-index'))).toBe(true);
    expect(small.decisions.some((d) => /expected to stay at about \d+ rows/.test(d.because))).toBe(true);
    const grown = derived.replace(/volume: \{rows: \d+\}/g, 'volume: {rows: 1000000}');
    const design = await generatePostgres(parseModel(grown, 'from.yaml').logical);
    const shapes = design.indexes.map((i) => `${i.table}(${i.keys.map((k) => k.column ?? k.expression).join(', ')})`);
    expect(shapes).toContain('posts(user_id)');
    expect(shapes).toContain('users(lower(email))');
    expect(shapes.some((s) => s.startsWith('orders(user_id, status, created_at'))).toBe(true);
  });
});

describe('design --from on a schema with what a model cannot say (PGlite)', () => {
  let client: EmbeddedClient;
  let introspected: IntrospectedModel;
  beforeAll(async () => {
    client = await EmbeddedClient.open();
    const { readFileSync } = await import('node:fs');
    await client.execWrite(readFileSync(new URL('../../fixtures/known-schema.sql', import.meta.url), 'utf8'));
    introspected = await introspectModel(client, { schema: 'app' });
  });
  afterAll(async () => {
    await client?.close();
  });

  it('notes every object it changes or leaves out', () => {
    expect(introspected.notes).toEqual(
      expect.arrayContaining([
        'view active_accounts is not modelled',
        'events_2026 is a partition of app.events: partitions are not modelled',
        'accounts.email_lower is a generated column: kept as a plain column of its type',
        'orders.id is serial: the model uses a bigint identity key instead (rules serial-column, int4-key)',
        'orders: CHECK orders_total_positive is NOT VALID in the database; the model regenerates it validated',
        'events has no primary key (key: none); rule table-without-primary-key',
      ]),
    );
    const accounts = introspected.model.entities.accounts!;
    expect(accounts.fields!.email).toEqual({ type: 'string', pgType: 'character varying(255)', required: true });
    expect(accounts.indexes).toContainEqual({ name: 'accounts_cover', keys: ['email'], include: ['id', 'name'] });
    expect(introspected.model.entities.orders!.indexes).toContainEqual({
      name: 'orders_created_nulls',
      keys: [{ column: 'created_at', nulls: 'first' }],
    });
  });

  it('regenerates the rest faithfully: only the noted differences remain', async () => {
    const design = await generatePostgres(parseModel(introspected.yaml, 'from.yaml').logical);
    await client.execWrite(design.sql);
    const catalog = await client.transaction((tx) => readCatalog(tx, { stats: false }));
    const app = schemaSignature(catalog, 'app');
    const regenerated = schemaSignature(catalog, 'public');
    expect(regenerated.tables.accounts!.columns).toEqual(app.tables.accounts!.columns);
    expect(regenerated.tables.accounts!.constraints).toEqual(app.tables.accounts!.constraints);
    expect(regenerated.tables.accounts!.indexes).toEqual(app.tables.accounts!.indexes);
    expect(regenerated.tables.orders!.indexes).toEqual(app.tables.orders!.indexes);
    expect(regenerated.tables.events).toEqual(app.tables.events);
    // The noted changes: serial → identity, trigger name, NOT VALID → validated.
    expect(regenerated.tables.orders!.columns[0]).toBe('id bigint NOT NULL IDENTITY always');
    expect(regenerated.tables.accounts!.triggers).toEqual(['accounts_set_updated_at BEFORE UPDATE set_updated_at']);
  });
});
