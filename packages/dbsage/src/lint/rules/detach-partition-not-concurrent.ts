import type { AstNode } from '../../sql/parser.js';
import { rangeVar } from '../ast.js';
import type { StatementRule } from '../rule.js';
import { nameOf, sqlName, tableEvidence } from '../rule-helpers.js';

/** `DETACH PARTITION` without CONCURRENTLY takes ACCESS EXCLUSIVE on the parent (PostgreSQL 14+ has CONCURRENTLY). */
export const rule: StatementRule = {
  id: 'detach-partition-not-concurrent',
  profile: 'safety',
  category: 'migration',
  severity: 'medium',
  scope: 'statement',
  lockHazard: true,
  description: 'DETACH PARTITION without CONCURRENTLY blocks all access to the partitioned table',
  kinds: ['AlterTableStmt'],
  check(stmt, ctx) {
    const rel = rangeVar(stmt.node.relation);
    const out = [];
    for (const c of (stmt.node.cmds ?? []) as AstNode[]) {
      const cmd = c.AlterTableCmd;
      if (cmd?.subtype !== 'AT_DetachPartition' || cmd.def?.PartitionCmd?.concurrent) continue;
      const { table, hazard } = ctx.lockTarget(rel);
      if (!hazard || ctx.pgMajor < 14) continue;
      const part = rangeVar(cmd.def?.PartitionCmd?.name);
      out.push({
        title: `DETACH PARTITION ${nameOf(part)} from ${nameOf(table ?? rel)} without CONCURRENTLY`,
        summary:
          'A plain DETACH PARTITION takes an ACCESS EXCLUSIVE lock on the partitioned table, blocking every query on every partition. DETACH PARTITION … CONCURRENTLY (PostgreSQL 14+) only takes SHARE UPDATE EXCLUSIVE.',
        evidence: { lockMode: 'ACCESS EXCLUSIVE', partition: nameOf(part), ...tableEvidence(table) },
        remediation: { sql: `ALTER TABLE ${sqlName(table ?? rel)} DETACH PARTITION ${sqlName(part)} CONCURRENTLY;` },
        object: `${nameOf(table ?? rel)}.${nameOf(part)}`,
        ...(table ? { table } : {}),
      });
    }
    return out;
  },
};
