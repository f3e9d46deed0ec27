import type { AstNode } from '../../sql/parser.js';
import { dottedName } from '../ast.js';
import type { RuleReport, StatementRule } from '../rule.js';
import { nameOf } from '../rule-helpers.js';

/** Dropping a table breaks deployed code and destroys data. */
export const rule: StatementRule = {
  id: 'drop-table',
  profile: 'safety',
  category: 'migration',
  severity: 'high',
  scope: 'statement',
  description: 'dropping a table breaks application code that still uses it and loses its data',
  kinds: ['DropStmt'],
  check(stmt, ctx) {
    if (stmt.node.removeType !== 'OBJECT_TABLE') return [];
    const out: RuleReport[] = [];
    for (const object of (stmt.node.objects ?? []) as AstNode[]) {
      const rel = dottedName(object);
      const table = ctx.model.table(rel);
      if (table?.createdInRun) continue;
      out.push({
        title: `table ${nameOf(table ?? rel)} is dropped`,
        summary:
          'Code deployed before the migration still queries the table and fails, and the data is gone. Stop using it in code first, keep a backup, then drop it in a later release.',
        evidence: {
          table: nameOf(table ?? rel),
          cascade: stmt.node.behavior === 'DROP_CASCADE',
          ...(table?.rowEstimate != null ? { rowEstimate: table.rowEstimate } : {}),
        },
        remediation: {
          steps: [
            'remove every use of the table from the code and deploy',
            'back the table up (or rename it aside) before dropping it',
          ],
        },
        object: nameOf(table ?? rel),
      });
    }
    return out;
  },
};
