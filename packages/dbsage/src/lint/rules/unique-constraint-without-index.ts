import { rangeVar } from '../ast.js';
import type { RuleReport, StatementRule } from '../rule.js';
import { addedConstraints, nameOf, q, sqlName, tableEvidence } from '../rule-helpers.js';

/** `ADD CONSTRAINT … UNIQUE` builds its index under an ACCESS EXCLUSIVE lock; build it CONCURRENTLY first. */
export const rule: StatementRule = {
  id: 'unique-constraint-without-index',
  profile: 'safety',
  category: 'migration',
  severity: 'high',
  scope: 'statement',
  lockHazard: true,
  description: 'UNIQUE constraint added without a prior CREATE UNIQUE INDEX CONCURRENTLY',
  kinds: ['AlterTableStmt'],
  check(stmt, ctx) {
    const rel = rangeVar(stmt.node.relation);
    const out: RuleReport[] = [];
    for (const { k, cols } of addedConstraints(stmt.node, 'CONSTR_UNIQUE')) {
      if (k.indexname) continue;
      const { table, hazard } = ctx.lockTarget(rel);
      if (!hazard) continue;
      const name = nameOf(table ?? rel);
      const conname = k.conname ? String(k.conname) : `${rel?.name}_${cols.join('_')}_key`;
      out.push({
        title: `UNIQUE constraint ${conname} on ${name} builds its index under an ACCESS EXCLUSIVE lock`,
        summary:
          'ADD CONSTRAINT … UNIQUE builds the unique index while blocking all reads and writes. Build the index CONCURRENTLY first, then attach it with USING INDEX (a brief lock).',
        evidence: { constraint: conname, columns: cols, lockMode: 'ACCESS EXCLUSIVE', ...tableEvidence(table) },
        remediation: {
          sql: `CREATE UNIQUE INDEX CONCURRENTLY ${q(conname)} ON ${sqlName(table ?? rel)} (${cols.map(q).join(', ')});\nALTER TABLE ${sqlName(table ?? rel)} ADD CONSTRAINT ${q(conname)} UNIQUE USING INDEX ${q(conname)};`,
        },
        at: k.location,
        object: `${name}.${conname}`,
        ...(table ? { table } : {}),
      });
    }
    return out;
  },
};
