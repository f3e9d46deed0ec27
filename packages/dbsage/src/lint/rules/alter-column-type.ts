import type { AstNode } from '../../sql/parser.js';
import { rangeVar, type TypeInfo, typeInfo } from '../ast.js';
import type { RuleReport, StatementRule } from '../rule.js';
import { nameOf, tableEvidence } from '../rule-helpers.js';
import { column } from '../schema-model.js';

/**
 * Whether `ALTER COLUMN … TYPE` from `from` to `to` avoids a table rewrite. PostgreSQL skips the rewrite for
 * binary-coercible changes that cannot fail: widening varchar(n), varchar → text, widening numeric precision
 * at the same scale, and dropping a length limit (see ATColumnChangeRequiresRewrite in tablecmds.c and the
 * ALTER TABLE docs, "Notes").
 */
export function typeChangeRewrites(
  from: TypeInfo | undefined,
  to: TypeInfo,
  usingClause: boolean,
): boolean | undefined {
  if (!from) return undefined;
  if (usingClause) return true;
  if (from.isArray !== to.isArray) return true;
  const textLike = new Set(['varchar', 'text']);
  if (textLike.has(from.name) && textLike.has(to.name)) {
    if (to.name === 'text' || to.typmods.length === 0) return false;
    if (from.name === 'varchar' && from.typmods.length && to.typmods[0]! >= from.typmods[0]!) return false;
    return true;
  }
  if (from.name === 'numeric' && to.name === 'numeric') {
    if (to.typmods.length === 0) return false;
    if (from.typmods.length && from.typmods[1] === to.typmods[1] && to.typmods[0]! >= from.typmods[0]!) return false;
    return true;
  }
  if (from.name === to.name && from.typmods.join() === to.typmods.join()) return false;
  return true;
}

/** `ALTER COLUMN … TYPE` takes ACCESS EXCLUSIVE and, unless binary coercible, rewrites the table and its indexes. */
export const rule: StatementRule = {
  id: 'alter-column-type',
  profile: 'safety',
  category: 'migration',
  severity: 'high',
  scope: 'statement',
  lockHazard: true,
  description: 'ALTER COLUMN TYPE locks the table and usually rewrites it and its indexes',
  kinds: ['AlterTableStmt'],
  check(stmt, ctx) {
    const rel = rangeVar(stmt.node.relation);
    const out: RuleReport[] = [];
    for (const c of (stmt.node.cmds ?? []) as AstNode[]) {
      const cmd = c.AlterTableCmd;
      if (cmd?.subtype !== 'AT_AlterColumnType') continue;
      const { table, hazard } = ctx.lockTarget(rel);
      if (!hazard) continue;
      const col = String(cmd.name);
      const from = table ? column(table, col)?.type : undefined;
      const to = typeInfo(cmd.def?.ColumnDef?.typeName);
      const rewrites = typeChangeRewrites(from, to, Boolean(cmd.def?.ColumnDef?.raw_default));
      const name = nameOf(table ?? rel);
      out.push({
        title: `${name}.${col} changes type${from ? ` from ${from.display}` : ''} to ${to.display}${rewrites === false ? ' (no rewrite)' : ''}`,
        summary:
          rewrites === false
            ? 'This change is binary coercible, so there is no rewrite, but it still takes an ACCESS EXCLUSIVE lock: keep it short with lock_timeout.'
            : 'Changing a column type rewrites the table and rebuilds its indexes under an ACCESS EXCLUSIVE lock. Add a new column, backfill it in batches, and switch over instead.',
        evidence: {
          column: col,
          from: from?.display ?? 'unknown',
          to: to.display,
          rewrite: rewrites ?? 'assumed (previous type unknown)',
          lockMode: 'ACCESS EXCLUSIVE',
          ...tableEvidence(table),
        },
        remediation: {
          steps:
            rewrites === false
              ? ["Run it with SET lock_timeout = '2s' and retry on timeout."]
              : [
                  `Add a new column of type ${to.display}`,
                  'keep it in sync with a trigger and backfill existing rows in batches',
                  'switch readers and writers, then drop the old column in a later release',
                ],
        },
        object: `${name}.${col}`,
        severity: rewrites === false ? 'low' : 'high',
        ...(table ? { table } : {}),
      });
    }
    return out;
  },
};
