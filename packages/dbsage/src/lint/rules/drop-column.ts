import type { AstNode } from '../../sql/parser.js';
import { rangeVar } from '../ast.js';
import type { RuleReport, StatementRule } from '../rule.js';
import { nameOf } from '../rule-helpers.js';

/** Dropping a column breaks deployed code that still selects or inserts it. */
export const rule: StatementRule = {
  id: 'drop-column',
  profile: 'safety',
  category: 'migration',
  severity: 'medium',
  scope: 'statement',
  description: 'dropping a column breaks application code that still uses it',
  kinds: ['AlterTableStmt'],
  check(stmt, ctx) {
    const rel = rangeVar(stmt.node.relation);
    const table = rel ? ctx.model.table(rel) : undefined;
    if (table?.createdInRun) return [];
    const out: RuleReport[] = [];
    for (const c of (stmt.node.cmds ?? []) as AstNode[]) {
      const cmd = c.AlterTableCmd;
      if (cmd?.subtype !== 'AT_DropColumn') continue;
      const name = nameOf(table ?? rel);
      out.push({
        title: `column ${name}.${cmd.name} is dropped`,
        summary:
          'Code deployed before the migration still reads or writes the column and fails (ORMs often select every mapped column). Stop using it in code first, deploy, then drop it.',
        evidence: { column: cmd.name },
        remediation: {
          steps: [
            `remove every use of ${cmd.name} from the code and deploy`,
            'then drop the column in a later migration',
          ],
        },
        object: `${name}.${cmd.name}`,
      });
    }
    return out;
  },
};
