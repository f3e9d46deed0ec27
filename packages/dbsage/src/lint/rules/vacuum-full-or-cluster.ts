import type { AstNode } from '../../sql/parser.js';
import { hasOption, rangeVar } from '../ast.js';
import type { RuleReport, StatementRule } from '../rule.js';
import { nameOf, tableEvidence } from '../rule-helpers.js';

/** `VACUUM FULL` and `CLUSTER` rewrite the table under ACCESS EXCLUSIVE; pg_repack does it online. */
export const rule: StatementRule = {
  id: 'vacuum-full-or-cluster',
  profile: 'safety',
  category: 'migration',
  severity: 'high',
  scope: 'statement',
  lockHazard: true,
  description: 'VACUUM FULL / CLUSTER rewrite the table under an ACCESS EXCLUSIVE lock (use pg_repack)',
  kinds: ['VacuumStmt', 'ClusterStmt'],
  check(stmt, ctx) {
    const rels =
      stmt.kind === 'ClusterStmt'
        ? [rangeVar(stmt.node.relation)]
        : hasOption(stmt.node.options, 'full')
          ? ((stmt.node.rels ?? []) as AstNode[]).map((r) => rangeVar(r.VacuumRelation?.relation))
          : [];
    if (stmt.kind === 'VacuumStmt' && !hasOption(stmt.node.options, 'full')) return [];
    const op = stmt.kind === 'ClusterStmt' ? 'CLUSTER' : 'VACUUM FULL';
    const out: RuleReport[] = [];
    for (const rel of rels.length ? rels : [undefined]) {
      const { table, hazard } = rel ? ctx.lockTarget(rel) : { table: undefined, hazard: true };
      if (!hazard) continue;
      const name = rel ? nameOf(table ?? rel) : 'every table in the database';
      out.push({
        title: `${op} ${name} rewrites it under an ACCESS EXCLUSIVE lock`,
        summary: `${op} copies the whole table while blocking every read and write. pg_repack (or pg_squeeze) rebuilds it online with only brief locks.`,
        evidence: { operation: op, lockMode: 'ACCESS EXCLUSIVE', ...tableEvidence(table) },
        remediation: {
          code: rel ? `pg_repack --table=${name} <database>` : 'pg_repack --all',
          steps: ['run pg_repack outside the migration'],
        },
        object: `${op}.${name}`,
        ...(table ? { table } : {}),
      });
    }
    return out;
  },
};
