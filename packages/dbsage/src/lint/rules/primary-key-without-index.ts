import { rangeVar } from '../ast.js';
import type { RuleReport, StatementRule } from '../rule.js';
import { addedConstraints, nameOf, q, sqlName, tableEvidence } from '../rule-helpers.js';

/** `ADD PRIMARY KEY` builds its index (and checks NOT NULL) under an ACCESS EXCLUSIVE lock. */
export const rule: StatementRule = {
  id: 'primary-key-without-index',
  profile: 'safety',
  category: 'migration',
  severity: 'high',
  scope: 'statement',
  lockHazard: true,
  description: 'PRIMARY KEY added to an existing table without USING INDEX',
  kinds: ['AlterTableStmt'],
  check(stmt, ctx) {
    const rel = rangeVar(stmt.node.relation);
    const out: RuleReport[] = [];
    for (const { k, cols } of addedConstraints(stmt.node, 'CONSTR_PRIMARY')) {
      if (k.indexname) continue;
      const { table, hazard } = ctx.lockTarget(rel);
      if (!hazard) continue;
      const name = nameOf(table ?? rel);
      const idx = k.conname ? String(k.conname) : `${rel?.name}_pkey`;
      out.push({
        title: `primary key on ${name} (${cols.join(', ')}) is built under an ACCESS EXCLUSIVE lock`,
        summary:
          'ADD PRIMARY KEY builds a unique index and checks NOT NULL while blocking all reads and writes. Build the unique index CONCURRENTLY, then attach it with ADD CONSTRAINT … PRIMARY KEY USING INDEX.',
        evidence: { columns: cols, lockMode: 'ACCESS EXCLUSIVE', ...tableEvidence(table) },
        remediation: {
          sql: `CREATE UNIQUE INDEX CONCURRENTLY ${q(idx)} ON ${sqlName(table ?? rel)} (${cols.map(q).join(', ')});\nALTER TABLE ${sqlName(table ?? rel)} ADD CONSTRAINT ${q(idx)} PRIMARY KEY USING INDEX ${q(idx)};`,
        },
        at: k.location,
        object: `${name}.pkey`,
        ...(table ? { table } : {}),
      });
    }
    return out;
  },
};
