import { expect } from 'vitest';
import { findTable } from '../../src/catalog/lookup.js';
import type { Catalog } from '../../src/catalog/types.js';

/** Asserts the model of fixtures/known-schema.sql; shared by the server and embedded catalog tests. */
export function assertKnownSchema(catalog: Catalog): void {
  expect(catalog.schemas).toContain('app');
  const accounts = findTable(catalog, 'app.accounts')!;
  expect(accounts).toBeDefined();
  expect(Object.isFrozen(accounts)).toBe(true);
  expect(accounts.kind).toBe('table');
  expect(accounts.comment).toBe('customer accounts');
  expect(accounts.reloptions).toEqual({ fillfactor: '90', autovacuum_enabled: 'false' });
  expect(accounts.rowEstimate).toBe(2000);
  expect(accounts.heapBytes).toBeGreaterThan(0);
  const col = (n: string) => accounts.columns.find((c) => c.name === n)!;
  expect(col('id')).toMatchObject({ type: 'bigint', identity: 'always', nullable: false, position: 1 });
  expect(col('email')).toMatchObject({ type: 'character varying(255)', typeName: 'varchar', nullable: false });
  expect(col('balance')).toMatchObject({ type: 'numeric(12,2)', default: '0' });
  expect(col('status').default).toBe("'active'::text");
  expect(col('email_lower').generated).toBe('lower((email)::text)');
  expect(accounts.constraints.find((c) => c.kind === 'primary')).toMatchObject({ columns: ['id'], validated: true });
  expect(accounts.constraints.find((c) => c.name === 'accounts_email_unique')).toMatchObject({
    kind: 'unique',
    columns: ['email'],
    indexName: 'accounts_email_unique',
  });
  expect(accounts.constraints.find((c) => c.kind === 'check')!.definition).toContain('status');

  const idx = (n: string) => accounts.indexes.find((i) => i.name === n)!;
  expect(idx('accounts_email_lower').keys).toEqual([
    {
      column: null,
      expression: 'lower(email::text)',
      descending: false,
      nullsFirst: false,
      opclass: null,
      collation: null,
    },
  ]);
  expect(idx('accounts_cover')).toMatchObject({ include: ['id', 'name'], method: 'btree' });
  expect(idx('accounts_cover').keys.map((k) => k.column)).toEqual(['email']);
  expect(idx('accounts_name_trgm')).toMatchObject({ method: 'gin' });
  expect(idx('accounts_name_trgm').keys[0]).toMatchObject({ column: 'name', opclass: 'gin_trgm_ops' });
  expect(idx('accounts_pkey')).toMatchObject({
    primary: true,
    unique: true,
    constraintName: 'accounts_pkey',
    valid: true,
  });

  const trig = accounts.triggers[0]!;
  expect(trig).toMatchObject({
    name: 'accounts_touch',
    timing: 'BEFORE',
    events: ['UPDATE'],
    forEachRow: true,
    function: 'app.touch',
  });
  expect(trig.functionSource).toContain('updated_at');

  const orders = findTable(catalog, 'app.orders')!;
  const fk = orders.constraints.find((c) => c.kind === 'foreign')!;
  expect(fk).toMatchObject({
    columns: ['account_id'],
    references: { schema: 'app', table: 'accounts', columns: ['id'], onDelete: 'CASCADE', onUpdate: 'NO ACTION' },
  });
  expect(orders.constraints.find((c) => c.name === 'orders_total_positive')).toMatchObject({ validated: false });
  expect(orders.columns.find((c) => c.name === 'id')!.serialSequence).toBe('app.orders_id_seq');
  const composite = orders.indexes.find((i) => i.name === 'orders_account_status_created')!;
  expect(composite.keys.map((k) => [k.column, k.descending])).toEqual([
    ['account_id', false],
    ['status', false],
    ['created_at', true],
  ]);
  expect(orders.indexes.find((i) => i.name === 'orders_open')!.predicate).toBe("status = 'open'::text");
  expect(orders.indexes.find((i) => i.name === 'orders_created_nulls')!.keys[0]).toMatchObject({
    nullsFirst: true,
    descending: false,
  });
  expect(orders.activity!.nTupIns).toBe(5000);

  const events = findTable(catalog, 'app.events')!;
  expect(events.kind).toBe('partitioned');
  expect(events.partitionKey).toBe('RANGE (at)');
  expect(findTable(catalog, 'app.events_2026')!.partitionOf).toBe('app.events');
  expect(findTable(catalog, 'app.active_accounts')!.kind).toBe('view');

  const seq = catalog.sequences.find((s) => s.name === 'orders_id_seq')!;
  expect(seq).toMatchObject({ dataType: 'integer', maxValue: 2147483647, lastValue: 5000 });
  expect(seq.ownedBy).toEqual({ schema: 'app', table: 'orders', column: 'id', columnType: 'integer' });
  const identitySeq = catalog.sequences.find((s) => s.ownedBy?.table === 'accounts')!;
  expect(identitySeq.dataType).toBe('bigint');

  const status = catalog.stats.find((s) => s.table === 'accounts' && s.column === 'status')!;
  expect(status.nDistinct).toBe(2);
  expect(status.mostCommonValues).toEqual(['active', 'banned']);
  expect(status.mostCommonFreqs![0]).toBeCloseTo(0.9, 5);
  const emailStats = catalog.stats.find((s) => s.table === 'accounts' && s.column === 'email')!;
  expect(emailStats.nDistinct).toBe(-1);
  expect(emailStats.histogramBounds!.length).toBeGreaterThan(10);
}
