import { rangeVar } from '../ast.js';
import type { StatementRule } from '../rule.js';
import { nameOf } from '../rule-helpers.js';

/** Renaming a table breaks every deployed query that names it. */
export const rule: StatementRule = {
  id: 'rename-table',
  profile: 'safety',
  category: 'migration',
  severity: 'high',
  scope: 'statement',
  description: 'renaming a table breaks application code that is already deployed',
  kinds: ['RenameStmt'],
  check(stmt, ctx) {
    const n = stmt.node;
    if (n.renameType !== 'OBJECT_TABLE') return [];
    const rel = rangeVar(n.relation);
    const table = rel ? ctx.model.table(rel) : undefined;
    if (table?.createdInRun) return [];
    const name = nameOf(table ?? rel);
    return [
      {
        title: `table ${name} is renamed to ${n.newname}`,
        summary:
          'Code deployed before the migration still uses the old name and fails. Rename, then create a view with the old name (simple views are updatable) until every client uses the new name.',
        evidence: { from: name, to: n.newname },
        remediation: {
          sql: `ALTER TABLE ${name} RENAME TO ${n.newname};\nCREATE VIEW ${name} AS SELECT * FROM ${n.newname};`,
        },
        object: name,
      },
    ];
  },
};
