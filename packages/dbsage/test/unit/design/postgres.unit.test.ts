import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseModel } from '../../../src/design/model/load.js';
import { generatePostgres } from '../../../src/design/postgres/generate.js';
import { patternSql } from '../../../src/design/postgres/pattern-sql.js';
import { lintSources } from '../../../src/lint/linter.js';

const design = (yaml: string) => generatePostgres(parseModel(yaml, 'model.yaml').logical);
const stmt = (sql: string, start: string) =>
  sql
    .split(/;\n/)
    .map((s) => s.trim())
    .find((s) => s.startsWith(start));

const SHOP = `version: 1
name: shop
entities:
  customers:
    key: uuid
    timestamps: true
    fields:
      email: { type: string, format: email, required: true, unique: true }
      name: { type: string, required: true, maxLength: 200 }
      tier: { type: enum, values: [free, pro], required: true, default: free }
      profile: { type: json }
    volume: { rows: 200000 }
  orders:
    fields:
      status: { type: enum, values: [open, paid, void], required: true }
      total: { type: decimal, precision: 12, scale: 2, required: true, min: 0 }
      placed_at: { type: timestamp, required: true, default: now }
    volume: { rows: 5000000 }
  coupons:
    fields:
      code: { type: string, required: true }
  tags:
    fields:
      label: { type: string, required: true }
    volume: { rows: 50, growthPerMonth: 1 }
relationships:
  - { type: 1:N, from: customers, to: orders }
  - { type: 1:N, from: coupons, to: orders, required: false }
  - { type: 1:N, from: customers, to: coupons, owned: true }
  - { type: N:M, from: orders, to: tags }
accessPatterns:
  - name: open-orders-of-customer
    entity: orders
    filters: [{ field: customer_id }, { field: placed_at, op: gte }]
    sort: placed_at desc
    limit: 20
  - name: void-orders
    entity: orders
    filters: [{ field: status, value: void, selectivity: 0.002 }]
    sort: placed_at desc
    limit: 100
  - name: by-status
    entity: orders
    filters: [{ field: status, value: paid }]
    limit: 10
  - name: login
    entity: customers
    filters: [{ field: email, op: ieq }]
  - name: name-search
    entity: customers
    filters: [{ field: name, op: contains }]
  - name: profile-search
    entity: customers
    filters: [{ field: profile, op: has }]
  - name: tier-report
    entity: customers
    filters: [{ field: tier }]
    select: [id, name]
  - name: tag-by-label
    entity: tags
    filters: [{ field: label }]
`;

describe('PostgreSQL DDL', () => {
  it('writes text + CHECK, timestamptz, jsonb, identity and uuid keys', async () => {
    const { sql, decisions } = await design(SHOP);
    const customers = stmt(sql, 'CREATE TABLE customers')!;
    expect(customers).toContain('id uuid NOT NULL DEFAULT gen_random_uuid()');
    expect(customers).toContain('name text NOT NULL');
    expect(customers).toContain('CONSTRAINT customers_name_length CHECK (char_length(name) <= 200)');
    expect(customers).toContain("CONSTRAINT customers_tier_check CHECK (tier IN ('free', 'pro'))");
    expect(customers).toContain("tier text NOT NULL DEFAULT 'free'");
    expect(customers).toContain('profile jsonb,');
    expect(customers).toContain('created_at timestamptz NOT NULL DEFAULT now()');
    expect(customers).not.toMatch(/varchar|character varying|timestamp without/);
    expect(stmt(sql, 'CREATE TABLE orders')).toContain('id bigint GENERATED ALWAYS AS IDENTITY');
    expect(decisions).toContainEqual(
      expect.objectContaining({
        subject: 'customers.name',
        decision: 'text + CHECK (char_length)',
        basis: 'rule:varchar-with-length',
      }),
    );
  });

  it('chooses ON DELETE from the relationship: required → RESTRICT, optional → SET NULL, owned → CASCADE', async () => {
    const { sql, decisions } = await design(SHOP);
    const orders = stmt(sql, 'CREATE TABLE orders')!;
    expect(orders).toContain('customer_id uuid NOT NULL');
    expect(orders).toContain('coupon_id bigint,');
    expect(orders).toContain(
      'CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE RESTRICT',
    );
    expect(orders).toContain(
      'CONSTRAINT orders_coupon_id_fkey FOREIGN KEY (coupon_id) REFERENCES coupons (id) ON DELETE SET NULL',
    );
    expect(stmt(sql, 'CREATE TABLE coupons')).toContain('REFERENCES customers (id) ON DELETE CASCADE');
    const restrict = decisions.find((d) => d.subject === 'orders.customer_id' && d.decision.startsWith('REFERENCES'))!;
    expect(restrict.because).toMatch(/deleting a customer that has orders must be a deliberate step/);
  });

  it('gives every foreign key a covering index unless a wider index already leads with it', async () => {
    const { indexes, decisions } = await design(SHOP);
    const shapes = indexes.map((i) => `${i.table}(${i.keys.map((k) => k.column ?? k.expression).join(',')})`);
    expect(shapes).toContain('orders(coupon_id)');
    expect(shapes).toContain('coupons(customer_id)');
    // orders.customer_id is served by the access-pattern index (customer_id, placed_at DESC).
    expect(shapes).not.toContain('orders(customer_id)');
    expect(decisions).toContainEqual(
      expect.objectContaining({
        subject: 'orders (customer_id)',
        decision: 'no separate index',
        basis: 'rule:fk-without-index',
      }),
    );
  });

  it('makes N:M a junction with a composite key and the reverse index', async () => {
    const { sql, indexes } = await design(SHOP);
    const junction = stmt(sql, 'CREATE TABLE orders_tags')!;
    expect(junction).toContain('CONSTRAINT orders_tags_pkey PRIMARY KEY (order_id, tag_id)');
    expect(junction).toContain('ON DELETE CASCADE');
    expect(junction).not.toMatch(/\bid bigint/);
    const reverse = indexes.find((i) => i.table === 'orders_tags')!;
    expect(reverse.keys.map((k) => k.column)).toEqual(['tag_id', 'order_id']);
    expect(indexes.filter((i) => i.table === 'orders_tags')).toHaveLength(1);
  });

  it('maintains updated_at with a trigger', async () => {
    const { sql } = await design(SHOP);
    expect(sql).toContain('CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger');
    expect(sql).toContain(
      'CREATE TRIGGER customers_set_updated_at BEFORE UPDATE ON customers FOR EACH ROW EXECUTE FUNCTION set_updated_at();',
    );
    const none = await design(SHOP.replace('    timestamps: true\n', ''));
    expect(none.sql).not.toContain('CREATE TRIGGER');
  });

  it('derives access-pattern indexes: equality → sort → range, partial, expression, trigram, jsonb, covering', async () => {
    const { sql, indexes } = await design(SHOP);
    const ddl = indexes.map((i) => stmt(sql, `CREATE INDEX ${i.name} `)!.replace(/^CREATE INDEX \S+ /, ''));
    expect(ddl).toContain('ON orders (customer_id, placed_at DESC)');
    expect(ddl).toContain("ON orders (placed_at DESC) WHERE status = 'void'");
    // A constant without a rare-value hint is a key, not a partial predicate.
    expect(ddl).toContain('ON orders (status)');
    expect(ddl).toContain('ON customers ((lower(email)))');
    expect(ddl).toContain('ON customers USING gin (name gin_trgm_ops)');
    expect(ddl).toContain('ON customers USING gin (profile jsonb_path_ops)');
    expect(ddl).toContain('ON customers (tier) INCLUDE (id, name)');
    expect(sql).toContain('CREATE EXTENSION IF NOT EXISTS pg_trgm;');
    const composite = indexes.find((i) => i.name === 'orders_customer_id_placed_at_idx')!;
    expect(composite.reasons.map((r) => r.basis)).toEqual(['pattern:open-orders-of-customer', 'rule:fk-without-index']);
  });

  it('leaves small tables without access-pattern indexes, and says why', async () => {
    const { indexes, decisions } = await design(SHOP);
    expect(indexes.some((i) => i.table === 'tags' && i.keys[0]!.column === 'label')).toBe(false);
    expect(decisions).toContainEqual(
      expect.objectContaining({
        subject: 'tags (label)',
        basis: 'pattern:tag-by-label',
        decision: 'no separate index',
      }),
    );
    expect(decisions.find((d) => d.subject === 'tags (label)')!.because).toMatch(/about 62 rows: a sequential scan/);
  });

  it('defers a foreign key that closes a cycle to ALTER TABLE after both tables exist', async () => {
    const { sql } = await design(`version: 1
name: cycle
entities:
  departments: { fields: { name: { type: string, required: true } } }
  employees: { fields: { name: { type: string, required: true } } }
relationships:
  - { type: 1:N, from: departments, to: employees }
  - { type: 1:1, from: employees, to: departments, column: manager_id, required: false }
`);
    const createDept = sql.indexOf('CREATE TABLE departments');
    const createEmp = sql.indexOf('CREATE TABLE employees');
    const alter = sql.indexOf('ALTER TABLE');
    expect(createDept).toBeGreaterThan(0);
    expect(alter).toBeGreaterThan(Math.max(createDept, createEmp));
    expect(sql).toContain('CONSTRAINT departments_manager_id_key UNIQUE (manager_id)');
  });

  it('the shipped demo model raises no lint findings (design, safety and style profiles)', async () => {
    const text = readFileSync(new URL('../../../../../examples/design/dbsage.model.yaml', import.meta.url), 'utf8');
    const { sql } = await design(text);
    const result = await lintSources([{ file: 'design.sql', text: sql }]);
    expect(result.statements).toBeGreaterThan(20);
    expect(result.findings).toEqual([]);
    // Negative control: the same linter does flag a hand-written table that breaks the design rules.
    const flawed = await lintSources([
      { file: 'flawed.sql', text: 'CREATE TABLE a (id serial PRIMARY KEY, t timestamp, e varchar(20));' },
    ]);
    expect(flawed.findings.map((f) => f.ruleId).sort()).toEqual(
      expect.arrayContaining(['serial-column', 'timestamp-without-time-zone', 'varchar-with-length']),
    );
  });

  it('writes patterns with related entities as joins (through the junction for N:M)', () => {
    const { logical } = parseModel(
      SHOP.replace(
        'accessPatterns:\n',
        'accessPatterns:\n  - { name: order-page, entity: orders, filters: [{ field: id }], with: [customers, tags] }\n',
      ),
      'model.yaml',
    );
    const p = logical.patterns.find((x) => x.spec.name === 'order-page')!;
    expect(patternSql(p, logical)).toBe(
      'SELECT t0.* FROM orders t0 JOIN customers t1 ON t1.id = t0.customer_id JOIN orders_tags t2j ON t2j.order_id = t0.id JOIN tags t2 ON t2.id = t2j.tag_id WHERE t0.id = $1',
    );
  });

  it('weighs the write mix: INCLUDE leaves out columns an update pattern changes, and the write cost is stated', async () => {
    const { sql, decisions } = await design(
      `${SHOP}  - { name: rename, entity: customers, kind: update, filters: [{ field: id }], set: [name], frequency: 50/s }\n  - { name: signup, entity: customers, kind: insert, frequency: 2/s }\n`,
    );
    expect(sql).toContain('ON customers (tier) INCLUDE (id);');
    expect(decisions).toContainEqual(
      expect.objectContaining({ subject: 'customers (name)', decision: 'write cost', basis: 'pattern:rename' }),
    );
    const insert = decisions.find((d) => d.basis === 'pattern:signup' && d.decision === 'write cost')!;
    expect(insert.because).toMatch(/^signup inserts at 2\/s: each insert maintains \d+ index\(es\)/);
  });
});
