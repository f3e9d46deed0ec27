import { rangeVar } from '../ast.js';
import type { StatementRule } from '../rule.js';
import { nameOf, tableEvidence } from '../rule-helpers.js';

/** `DELETE`/`UPDATE` without WHERE touches every row: usually a mistake, and on a big table a long lock. */
export const rule: StatementRule = {
  id: 'write-without-where',
  profile: 'safety',
  category: 'migration',
  severity: 'medium',
  scope: 'statement',
  lockHazard: true,
  description: 'DELETE or UPDATE without a WHERE clause on an existing table',
  kinds: ['DeleteStmt', 'UpdateStmt'],
  check(stmt, ctx) {
    if (stmt.node.whereClause || stmt.node.fromClause?.length || stmt.node.usingClause?.length) return [];
    const rel = rangeVar(stmt.node.relation);
    const { table, hazard } = ctx.lockTarget(rel);
    if (!hazard) return [];
    const op = stmt.kind === 'DeleteStmt' ? 'DELETE' : 'UPDATE';
    return [
      {
        title: `${op} on ${nameOf(table ?? rel)} has no WHERE clause`,
        summary: `${op} without WHERE changes every row in one transaction: row locks on the whole table, a burst of WAL and dead tuples, and no way back after COMMIT. Add a WHERE clause, and batch large backfills.`,
        evidence: { operation: op, ...tableEvidence(table) },
        remediation: {
          steps: [
            op === 'DELETE'
              ? 'use TRUNCATE if emptying the table is intended, or add a WHERE clause'
              : 'add a WHERE clause and update in batches of a few thousand rows',
          ],
        },
        object: `${op}.${nameOf(table ?? rel)}.${stmt.index}`,
        ...(table ? { table } : {}),
      },
    ];
  },
};
