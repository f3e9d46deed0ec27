import { rangeVar } from '../ast.js';
import type { StatementRule } from '../rule.js';
import { nameOf } from '../rule-helpers.js';

/** Renaming a column breaks every deployed query that names it until the new code is everywhere. */
export const rule: StatementRule = {
  id: 'rename-column',
  profile: 'safety',
  category: 'migration',
  severity: 'high',
  scope: 'statement',
  description: 'renaming a column breaks application code that is already deployed',
  kinds: ['RenameStmt'],
  check(stmt, ctx) {
    const n = stmt.node;
    if (n.renameType !== 'OBJECT_COLUMN') return [];
    const rel = rangeVar(n.relation);
    const table = rel ? ctx.model.table(rel) : undefined;
    if (table?.createdInRun) return [];
    const name = nameOf(table ?? rel);
    return [
      {
        title: `column ${name}.${n.subname} is renamed to ${n.newname}`,
        summary:
          'Code deployed before the migration still reads and writes the old name and fails as soon as it runs. Add the new column, write both, backfill, switch reads, and drop the old one in a later release.',
        evidence: { from: n.subname, to: n.newname },
        remediation: {
          steps: [
            `add ${n.newname}, keep both in sync (trigger or application), backfill`,
            `deploy code that reads ${n.newname}`,
            `drop ${n.subname} in a later migration`,
          ],
        },
        object: `${name}.${n.subname}`,
      },
    ];
  },
};
