import type { AstNode } from '../../sql/parser.js';
import { rangeVar, strings } from '../ast.js';
import type { RuleReport, StatementRule } from '../rule.js';
import { nameOf, q, sqlName, tableEvidence } from '../rule-helpers.js';

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
    for (const c of (stmt.node.cmds ?? []) as AstNode[]) {
      const cmd = c.AlterTableCmd;
      if (!cmd) continue;
      const found: { k: AstNode; cols: string[] }[] = [];
      if (cmd.subtype === 'AT_AddConstraint' && cmd.def?.Constraint?.contype === 'CONSTR_PRIMARY') {
        found.push({ k: cmd.def.Constraint, cols: strings(cmd.def.Constraint.keys) });
      }
      if (cmd.subtype === 'AT_AddColumn') {
        for (const k of (cmd.def?.ColumnDef?.constraints ?? []) as AstNode[]) {
          if (k.Constraint?.contype === 'CONSTR_PRIMARY')
            found.push({ k: k.Constraint, cols: [String(cmd.def.ColumnDef.colname)] });
        }
      }
      for (const { k, cols } of found) {
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
    }
    return out;
  },
};
