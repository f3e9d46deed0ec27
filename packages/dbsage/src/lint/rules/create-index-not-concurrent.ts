import { exprText, rangeVar } from '../ast.js';
import type { StatementRule } from '../rule.js';
import { nameOf, tableEvidence } from '../rule-helpers.js';

/**
 * `CREATE INDEX` without CONCURRENTLY takes a SHARE lock: every INSERT/UPDATE/DELETE on the table waits for
 * the whole build. Not a hazard on a table created earlier in the same run.
 */
export const rule: StatementRule = {
  id: 'create-index-not-concurrent',
  profile: 'safety',
  category: 'migration',
  severity: 'high',
  scope: 'statement',
  lockHazard: true,
  description: 'CREATE INDEX without CONCURRENTLY blocks writes to an existing table for the whole build',
  kinds: ['IndexStmt'],
  check(stmt, ctx) {
    const node = stmt.node;
    if (node.concurrent) return [];
    const rel = rangeVar(node.relation);
    const { table, hazard } = ctx.lockTarget(rel);
    if (!hazard) return [];
    const text = stmt.text.replace(/^(\s*CREATE\s+(?:UNIQUE\s+)?INDEX)\b/i, '$1 CONCURRENTLY');
    return [
      {
        title: `index ${node.idxname ?? '(unnamed)'} on ${nameOf(table ?? rel)} is built without CONCURRENTLY`,
        summary:
          'A plain CREATE INDEX holds a SHARE lock that blocks all writes to the table until the build finishes. CONCURRENTLY builds without blocking writes (it cannot run inside a transaction).',
        evidence: {
          lockMode: 'SHARE',
          index: node.idxname ?? null,
          ...(node.whereClause ? { predicate: exprText(node.whereClause) } : {}),
          ...tableEvidence(table),
        },
        remediation: { sql: `${text};` },
        object: `${nameOf(table ?? rel)}.${node.idxname ?? 'unnamed'}`,
        table,
      },
    ];
  },
};
