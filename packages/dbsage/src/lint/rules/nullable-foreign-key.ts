import type { RuleReport, SchemaRule } from '../rule.js';
import { nameOf } from '../rule-helpers.js';
import { column } from '../schema-model.js';

/**
 * A nullable foreign key whose other declarations say the row cannot exist without its parent: ON DELETE
 * CASCADE (the child is owned by the parent) or membership in the table's primary/unique key (a link table).
 * Then NULL is an orphan the schema should refuse.
 */
export const rule: SchemaRule = {
  id: 'nullable-foreign-key',
  profile: 'design',
  category: 'design',
  severity: 'low',
  scope: 'schema',
  description: 'nullable foreign key on a row that the schema says cannot exist without its parent',
  check(ctx) {
    const out: RuleReport[] = [];
    for (const t of ctx.tables) {
      for (const k of t.constraints) {
        if (k.kind !== 'foreign' || !k.references) continue;
        const nullable = k.columns.filter((c) => column(t, c)?.nullable);
        if (nullable.length === 0) continue;
        const cascade = k.references.onDelete === 'CASCADE';
        const inKey = t.constraints.some(
          (u) =>
            (u.kind === 'unique' || u.kind === 'primary') &&
            u.columns.length > 1 &&
            nullable.some((c) => u.columns.includes(c)),
        );
        if (!cascade && !inKey) continue;
        const reason = cascade
          ? 'ON DELETE CASCADE makes each row owned by its parent'
          : 'the columns are part of a composite unique key';
        const col = column(t, nullable[0]!);
        out.push({
          title: `${nameOf(t)}.${nullable.join(', ')} is a nullable foreign key but ${reason}`,
          summary:
            'A row with NULL here has no parent, which the rest of the schema says cannot happen; the constraint does not stop it. Declare the column NOT NULL.',
          evidence: { constraint: k.name, columns: nullable, onDelete: k.references.onDelete, inCompositeKey: inKey },
          remediation: {
            sql: nullable.map((c) => `ALTER TABLE ${nameOf(t)} ALTER COLUMN ${c} SET NOT NULL;`).join('\n'),
          },
          ...(col?.location ? { pos: col.location } : k.location ? { pos: k.location } : {}),
          object: `${nameOf(t)}.${nullable.join(',')}`,
        });
      }
    }
    return out;
  },
};
