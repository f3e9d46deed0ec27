import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SCHEMA_SQL } from '../../../src/demo/schema.js';
import type { Finding } from '../../../src/findings/finding.js';
import { lintSourcesSync } from '../../../src/lint/linter.js';
import { ALL_RULES } from '../../../src/lint/rule-set.js';
import { loadParser } from '../../../src/sql/parser.js';
import { lintFixture } from './support.js';

/**
 * Design and style rules, each asserted both ways: it fires on the deliberately flawed schema (with the
 * object and the evidence that justify it) and stays silent on the demo schema — which is a good schema
 * except for the foreign-key indexes it leaves to the index advisor, so that rule's negative side is the
 * demo schema plus those indexes.
 */

/** What each schema rule must report on the flawed schema. */
const EXPECTED: Record<string, { title: RegExp; evidence: Record<string, unknown>; line: number }> = {
  'table-without-primary-key': {
    title: /invoice_tags has no primary key/,
    evidence: { columns: ['invoice_id', 'tag'] },
    line: 28,
  },
  'fk-without-index': {
    title: /invoices\.customer_id has no index \(FK to Customers\)/,
    evidence: { onDelete: 'CASCADE' },
    line: 22,
  },
  'json-column': { title: /Customers\.profile is json/, evidence: { type: 'json' }, line: 8 },
  'timestamp-without-time-zone': { title: /Customers\.created_at/, evidence: { type: 'timestamp' }, line: 10 },
  'varchar-with-length': { title: /fullName is varchar\(100\)/, evidence: { length: 100 }, line: 4 },
  'char-type': { title: /country is char\(2\)/, evidence: { type: 'char(2)' }, line: 6 },
  'money-type': { title: /balance is money/, evidence: { type: 'money' }, line: 7 },
  'serial-column': { title: /Customers\.id is serial/, evidence: { type: 'serial4' }, line: 3 },
  'int4-key': { title: /Customers\.id is a 4-byte key/, evidence: { maxValue: 2147483647 }, line: 3 },
  'nullable-foreign-key': {
    title: /invoices\.customer_id is a nullable foreign key/,
    evidence: { onDelete: 'CASCADE', inCompositeKey: false },
    line: 22,
  },
  'nullable-unique-column': { title: /invoice_tags_invoice_tag_key/, evidence: { nullableColumns: ['tag'] }, line: 31 },
  'duplicate-index': {
    title: /customers_email_idx .* duplicates customers_email_copy_idx/,
    evidence: { duplicateOf: 'customers_email_copy_idx' },
    line: 15,
  },
  'redundant-index': {
    title: /customers_country_idx .* prefix of customers_country_created_idx/,
    evidence: { keys: ['country'] },
    line: 17,
  },
  'boolean-index': { title: /customers_active_idx .* boolean is_active/, evidence: { column: 'is_active' }, line: 14 },
  'unvalidated-constraint': {
    title: /invoices_total_positive on invoices is NOT VALID/,
    evidence: { kind: 'check' },
    line: 26,
  },
  'updated-at-without-trigger': { title: /Customers\.updated_at has no trigger/, evidence: { triggers: [] }, line: 11 },
  'email-without-check': {
    title: /Customers\.email is text with no CHECK/,
    evidence: { caseInsensitiveUnique: false },
    line: 5,
  },
  'uuid-as-text': { title: /external_uuid holds uuids as text/, evidence: { matchedBy: 'name' }, line: 9 },
  'inconsistent-naming': {
    title: /payment is singular while most tables are plural/,
    evidence: { plural: 3, singular: 1 },
    line: 34,
  },
};

const DEMO_FK_INDEXES = `
CREATE INDEX user_teams_user_idx ON user_teams (user_id);
CREATE INDEX orders_user_idx ON orders (user_id);
CREATE INDEX order_items_product_idx ON order_items (product_id);
CREATE INDEX posts_user_idx ON posts (user_id);
CREATE INDEX comments_post_idx ON comments (post_id);
CREATE INDEX comments_user_idx ON comments (user_id);
`;

describe('design rules on files', () => {
  let flawed: Finding[];
  let demo: Finding[];
  let demoIndexed: Finding[];
  const all = { profiles: ['safety', 'design', 'style'] as const };

  beforeAll(async () => {
    await loadParser();
    flawed = lintSourcesSync(
      [{ file: 'flawed-schema.sql', text: readFileSync(lintFixture('flawed-schema.sql'), 'utf8') }],
      all,
    ).findings;
    demo = lintSourcesSync([{ file: 'demo.sql', text: DEMO_SCHEMA_SQL }], all).findings;
    demoIndexed = lintSourcesSync([{ file: 'demo.sql', text: DEMO_SCHEMA_SQL + DEMO_FK_INDEXES }], all).findings;
  });

  it('covers every schema rule', () => {
    const schemaRules = ALL_RULES.filter((r) => r.scope === 'schema')
      .map((r) => r.id)
      .sort();
    expect(Object.keys(EXPECTED).sort()).toEqual(schemaRules);
  });

  describe.each(Object.entries(EXPECTED))('%s', (ruleId, want) => {
    it('fires on the flawed schema with its evidence and location', () => {
      const hit = flawed.find((f) => f.ruleId === ruleId && want.title.test(f.title));
      expect(
        hit,
        `${ruleId}: ${flawed
          .filter((f) => f.ruleId === ruleId)
          .map((f) => f.title)
          .join(' | ')}`,
      ).toBeDefined();
      expect(hit!.evidence).toMatchObject(want.evidence);
      expect(hit!.location).toMatchObject({ file: 'flawed-schema.sql', line: want.line });
      expect(hit!.remediation?.sql ?? hit!.remediation?.steps?.join('\n')).toBeTruthy();
    });

    it('stays silent on the demo schema', () => {
      const source = ruleId === 'fk-without-index' ? demoIndexed : demo;
      expect(source.filter((f) => f.ruleId === ruleId).map((f) => f.title)).toEqual([]);
    });
  });

  it('flags the foreign keys the demo schema leaves unindexed (the index advisor’s job), and only those', () => {
    expect(demo.map((f) => `${f.ruleId} ${f.title}`).sort()).toEqual(
      [
        'comments.post_id has no index (FK to posts)',
        'comments.user_id has no index (FK to users)',
        'order_items.product_id has no index (FK to products)',
        'orders.user_id has no index (FK to users)',
        'posts.user_id has no index (FK to users)',
        'user_teams.user_id has no index (FK to users)',
      ].map((t) => `fk-without-index ${t}`),
    );
  });

  it('design fixes are DDL', () => {
    const fk = flawed.find((f) => f.ruleId === 'fk-without-index')!;
    expect(fk.remediation?.sql).toBe('CREATE INDEX CONCURRENTLY invoices_customer_id_idx ON invoices (customer_id);');
    const pk = flawed.find((f) => f.ruleId === 'table-without-primary-key')!;
    expect(pk.remediation?.sql).toBe(
      'ALTER TABLE invoice_tags ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;',
    );
  });

  it('a trigger that maintains updated_at silences the rule; one that does not, does not', () => {
    const base =
      'CREATE TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT now());\n';
    const good = `${base}CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;\nCREATE TRIGGER notes_touch BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION touch();\n`;
    const bad = `${base}CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO log VALUES (1); RETURN NEW; END $$;\nCREATE TRIGGER notes_audit BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION audit();\n`;
    const moddatetime = `${base}CREATE TRIGGER notes_mdt BEFORE UPDATE ON notes FOR EACH ROW EXECUTE PROCEDURE moddatetime(updated_at);\n`;
    const ids = (text: string) => lintSourcesSync([{ file: 'x.sql', text }], all).findings.map((f) => f.ruleId);
    expect(ids(good)).not.toContain('updated-at-without-trigger');
    expect(ids(moddatetime)).not.toContain('updated-at-without-trigger');
    expect(ids(bad)).toContain('updated-at-without-trigger');
  });

  it('a dbsage-ignore above CREATE TABLE silences design findings on its columns', () => {
    const text =
      '-- dbsage-ignore json-column\nCREATE TABLE docs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body json, seen timestamp);\n';
    const ids = lintSourcesSync([{ file: 'x.sql', text }], all).findings.map((f) => f.ruleId);
    expect(ids).not.toContain('json-column');
    expect(ids).toContain('timestamp-without-time-zone');
  });

  it('design findings judge the final model: a column fixed later in the run is not reported', () => {
    const text =
      'CREATE TABLE docs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body json);\nALTER TABLE docs ALTER COLUMN body TYPE jsonb;\n';
    expect(lintSourcesSync([{ file: 'x.sql', text }], all).findings.map((f) => f.ruleId)).toEqual([]);
  });
});
