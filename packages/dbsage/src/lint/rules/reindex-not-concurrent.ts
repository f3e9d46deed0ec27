import { hasOption, rangeVar } from '../ast.js';
import type { StatementRule } from '../rule.js';
import { nameOf, tableEvidence } from '../rule-helpers.js';

/** `REINDEX` without CONCURRENTLY blocks writes (and reads that use the index) for the whole rebuild. */
export const rule: StatementRule = {
  id: 'reindex-not-concurrent',
  profile: 'safety',
  category: 'migration',
  severity: 'high',
  scope: 'statement',
  lockHazard: true,
  description: 'REINDEX without CONCURRENTLY blocks writes for the whole rebuild',
  kinds: ['ReindexStmt'],
  check(stmt, ctx) {
    const node = stmt.node;
    if (hasOption(node.params, 'concurrently') || node.concurrent) return [];
    const rel = rangeVar(node.relation);
    const kind = String(node.kind ?? '').replace('REINDEX_OBJECT_', '');
    const target = kind === 'INDEX' && rel ? ctx.model.index(rel)?.table : rel ? ctx.model.table(rel) : undefined;
    if (target?.createdInRun) return [];
    const what = rel ? nameOf(rel) : String(node.name ?? '');
    return [
      {
        title: `REINDEX ${kind} ${what} without CONCURRENTLY`,
        summary:
          'REINDEX locks out writes to the table (and reads through the index) until every index is rebuilt. REINDEX … CONCURRENTLY (PostgreSQL 12+) rebuilds alongside the old index without blocking.',
        evidence: {
          lockMode: kind === 'INDEX' ? 'ACCESS EXCLUSIVE on index, SHARE on table' : 'SHARE',
          target: what,
          ...tableEvidence(target),
        },
        remediation: { sql: `REINDEX ${kind} CONCURRENTLY ${what};` },
        object: `${kind}.${what}`,
        ...(target ? { table: target } : {}),
      },
    ];
  },
};
