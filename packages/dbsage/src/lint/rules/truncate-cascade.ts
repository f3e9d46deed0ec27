import type { AstNode } from '../../sql/parser.js';
import { rangeVar } from '../ast.js';
import type { StatementRule } from '../rule.js';
import { nameOf } from '../rule-helpers.js';

/** `TRUNCATE … CASCADE` also empties every table with a foreign key to the named ones, recursively. */
export const rule: StatementRule = {
  id: 'truncate-cascade',
  profile: 'safety',
  category: 'migration',
  severity: 'high',
  scope: 'statement',
  description: 'TRUNCATE CASCADE silently empties every referencing table',
  kinds: ['TruncateStmt'],
  check(stmt, ctx) {
    if (stmt.node.behavior !== 'DROP_CASCADE') return [];
    const rels = ((stmt.node.relations ?? []) as AstNode[]).map((r) => rangeVar(r)).filter((r) => r !== undefined);
    const names = rels.map((r) => nameOf(ctx.model.table(r) ?? r));
    // Tables the model knows reference the truncated ones (one level; CASCADE follows the chain).
    const referencing = [...ctx.model.tables()]
      .filter((t) => t.constraints.some((k) => k.references && names.includes(k.references.table)))
      .map((t) => nameOf(t));
    return [
      {
        title: `TRUNCATE ${names.join(', ')} CASCADE`,
        summary:
          'CASCADE truncates every table that has a foreign key to these tables, recursively, including ones added after this migration was written. Name every table to truncate explicitly.',
        evidence: { tables: names, referencingTables: referencing },
        remediation: { sql: `TRUNCATE ${[...names, ...referencing].join(', ')};` },
        object: names.join(','),
      },
    ];
  },
};
