import type { SchemaRule } from '../rule.js';
import { nameOf, q, sqlName } from '../rule-helpers.js';

/** A table without a primary key cannot be replicated logically with UPDATE/DELETE, and its rows have no identity. */
export const rule: SchemaRule = {
  id: 'table-without-primary-key',
  profile: 'design',
  category: 'design',
  severity: 'medium',
  scope: 'schema',
  description: 'table without a primary key',
  check(ctx) {
    const out = [];
    for (const t of ctx.tables) {
      if (t.partial || (t.kind !== 'table' && t.kind !== 'partitioned')) continue;
      if (t.constraints.some((k) => k.kind === 'primary')) continue;
      // A unique index over NOT NULL columns can be promoted without a rebuild.
      const candidate = t.indexes.find(
        (i) =>
          i.unique &&
          !i.predicate &&
          i.keys.every((k) => k.column && t.columns.find((c) => c.name === k.column && !c.nullable)),
      );
      out.push({
        title: `table ${nameOf(t)} has no primary key`,
        summary:
          'Without a primary key rows have no stable identity: logical replication cannot replicate UPDATE/DELETE, ORMs and tools cannot address a row, and duplicates go unnoticed.',
        evidence: { columns: t.columns.map((c) => c.name), ...(candidate ? { uniqueIndex: candidate.name } : {}) },
        remediation: {
          sql: candidate
            ? `ALTER TABLE ${sqlName(t)} ADD CONSTRAINT ${q(`${t.name}_pkey`)} PRIMARY KEY USING INDEX ${q(candidate.name)};`
            : `ALTER TABLE ${sqlName(t)} ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;`,
        },
        ...(t.location ? { pos: t.location } : {}),
        object: nameOf(t),
      });
    }
    return out;
  },
};
