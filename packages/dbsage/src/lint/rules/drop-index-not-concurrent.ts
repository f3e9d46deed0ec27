import type { AstNode } from '../../sql/parser.js';
import { dottedName } from '../ast.js';
import type { StatementRule } from '../rule.js';
import { nameOf, tableEvidence } from '../rule-helpers.js';

/** `DROP INDEX` without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the index's table. */
export const rule: StatementRule = {
  id: 'drop-index-not-concurrent',
  profile: 'safety',
  category: 'migration',
  severity: 'medium',
  scope: 'statement',
  lockHazard: true,
  description: 'DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table',
  kinds: ['DropStmt'],
  check(stmt, ctx) {
    const node = stmt.node;
    if (node.removeType !== 'OBJECT_INDEX' || node.concurrent) return [];
    const out = [];
    for (const object of (node.objects ?? []) as AstNode[]) {
      const rel = dottedName(object);
      const found = ctx.model.index(rel);
      if (found?.table.createdInRun) continue;
      const table = found?.table;
      out.push({
        title: `DROP INDEX ${nameOf(rel)} without CONCURRENTLY${table ? ` locks ${nameOf(table)}` : ''}`,
        summary:
          'A plain DROP INDEX takes an ACCESS EXCLUSIVE lock on the table, so it waits behind every running query and blocks all reads and writes queued after it. DROP INDEX CONCURRENTLY waits for readers instead of blocking them.',
        evidence: { lockMode: 'ACCESS EXCLUSIVE', index: nameOf(rel), ...tableEvidence(table) },
        remediation: { sql: `DROP INDEX CONCURRENTLY IF EXISTS ${nameOf(rel)};` },
        object: nameOf(rel),
        ...(table ? { table } : {}),
      });
    }
    return out;
  },
};
