import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkPatternSql, parseModel } from '../../../src/design/model/load.js';
import { InputError } from '../../../src/errors.js';
import { loadParser } from '../../../src/sql/parser.js';

const EXAMPLE = new URL('../../../../../examples/design/dbsage.model.yaml', import.meta.url);

/** Parses and returns the InputError (fails the test when the model loads). */
function errorOf(text: string): InputError {
  try {
    parseModel(text, 'model.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected the model to be rejected');
}

const BASE = `version: 1
name: shop
entities:
  users:
    fields:
      email: { type: string, format: email, required: true }
`;

describe('model file loading', () => {
  it('loads the shipped demo model and resolves junctions and foreign keys', () => {
    const { logical } = parseModel(readFileSync(EXAMPLE, 'utf8'), 'dbsage.model.yaml');
    expect(logical.tables.map((t) => t.name).sort()).toEqual([
      'comments',
      'order_items',
      'orders',
      'posts',
      'products',
      'teams',
      'user_teams',
      'users',
    ]);
    const userTeams = logical.table('user_teams')!;
    expect(userTeams.kind).toBe('junction');
    expect(userTeams.primaryKey).toEqual(['team_id', 'user_id']);
    expect(userTeams.columns.map((c) => [c.name, c.field.type])).toEqual([
      ['team_id', 'bigint'],
      ['user_id', 'uuid'],
      ['role', 'enum'],
    ]);
    const orders = logical.table('orders')!;
    expect(orders.columns.map((c) => c.name)).toEqual(['id', 'user_id', 'status', 'total', 'created_at']);
    expect(orders.foreignKeys[0]).toMatchObject({ columns: ['user_id'], refTable: 'users', onDelete: 'restrict' });
    expect(logical.patterns).toHaveLength(11);
  });

  it('names the path and line of a bad type', () => {
    const e = errorOf(BASE.replace('type: string', 'type: strng'));
    expect(e.message).toMatch(/^model\.yaml:6:\d+: entities\.users\.fields\.email\.type: expected one of "string"/);
    expect(e.message).toContain('(got "strng")');
    expect(e.context).toMatchObject({ line: 6 });
  });

  it('points at an unknown key itself', () => {
    const e = errorOf(`${BASE}      name: { type: string, requird: true }\n`);
    expect(e.message).toBe('model.yaml:7:29: entities.users.fields.name.requird: unknown key "requird"');
  });

  it('reports a missing required key at the map that should hold it', () => {
    const e = errorOf('version: 1\nentities:\n  users:\n    fields: { a: string }\n');
    expect(e.message).toMatch(/^model\.yaml:1:1: name: required \(expected string\)/);
  });

  it('reports YAML syntax errors with their line', () => {
    const e = errorOf(`${BASE}    volume: { rows: 10\n`);
    expect(e.message).toMatch(/^model\.yaml:8:\d+: YAML syntax error/);
  });

  it('reports duplicate keys', () => {
    const e = errorOf(`${BASE}      email: { type: string }\n`);
    expect(e.message).toMatch(/^model\.yaml:7:\d+: YAML syntax error: Map keys must be unique/);
  });

  it('names unknown entities in relationships and unknown fields in access patterns, all at once', () => {
    const text = `${BASE}relationships:
  - { type: 1:N, from: users, to: orders }
accessPatterns:
  - name: by-mail
    entity: users
    filters: [{ field: mail }]
    sort: created_at desc
`;
    const e = errorOf(text);
    const lines = e.message.split('\n');
    expect(lines[0]).toBe('3 problems in model.yaml');
    expect(lines[1]).toBe('model.yaml:8:35: relationships[0].to: unknown entity "orders"');
    expect(lines[2]).toBe('model.yaml:12:24: accessPatterns[0].filters[0].field: unknown field "mail" in users');
    expect(lines[3]).toBe('model.yaml:13:11: accessPatterns[0].sort[0]: unknown field "created_at" in users');
  });

  it('rejects options that do not apply to the type', () => {
    const e = errorOf(
      'version: 1\nname: x\nentities:\n  t:\n    fields:\n      n: { type: integer, maxLength: 3 }\n      s: { type: enum }\n',
    );
    expect(e.message).toContain('model.yaml:6:38: entities.t.fields.n.maxLength: maxLength applies to strings');
    expect(e.message).toContain('model.yaml:7:18: entities.t.fields.s.type: an enum needs values: [...]');
  });

  it('rejects a foreign-key column that clashes with a field', () => {
    const e = errorOf(`${BASE}  orders:
    fields:
      user_id: { type: bigint }
relationships:
  - { type: 1:N, from: users, to: orders }
`);
    expect(e.message).toMatch(/relationships\[0\]\.to: column "user_id" already exists on orders/);
  });

  it('rejects ON DELETE SET NULL on a required relationship', () => {
    const e = errorOf(`${BASE}  orders: { fields: { total: integer } }
relationships:
  - { type: 1:N, from: users, to: orders, onDelete: set null }
`);
    expect(e.message).toContain('relationships[0].onDelete: ON DELETE SET NULL needs required: false');
  });

  it('rejects a bad frequency', () => {
    const e = errorOf(`${BASE}accessPatterns:
  - { name: p, entity: users, frequency: often }
`);
    expect(e.message).toMatch(/model\.yaml:8:42: accessPatterns\[0\]\.frequency: expected a rate like "200\/s"/);
  });

  it('checks the SQL of access patterns with the parser, at the line of the sql key', async () => {
    await loadParser();
    const loaded = parseModel(
      `${BASE}accessPatterns:\n  - name: p\n    entity: users\n    sql: SELECT * FROM users WHER email = $1\n  - { name: q, entity: users, sql: SELECT 1 FROM orders }\n`,
      'model.yaml',
    );
    let error: unknown;
    try {
      checkPatternSql(loaded);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    const lines = (error as InputError).message.split('\n');
    expect(lines[1]).toMatch(
      /^model\.yaml:10:10: accessPatterns\[0\]\.sql: SQL syntax error at 1:\d+ of the statement: syntax error at or near "email"/,
    );
    expect(lines[2]).toBe('model.yaml:11:36: accessPatterns[1].sql: the statement does not use users');
  });
});
