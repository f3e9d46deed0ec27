import type { AstNode } from '../../sql/parser.js';
import { rangeVar } from '../ast.js';
import type { RuleReport, StatementRule } from '../rule.js';
import { nameOf, q, sqlName, tableEvidence } from '../rule-helpers.js';

/**
 * `SET NOT NULL` scans the whole table under ACCESS EXCLUSIVE unless a validated `CHECK (col IS NOT NULL)`
 * already proves it (PostgreSQL 12+ then skips the scan).
 */
export const rule: StatementRule = {
  id: 'set-not-null-without-check',
  profile: 'safety',
  category: 'migration',
  severity: 'high',
  scope: 'statement',
  lockHazard: true,
  description: 'SET NOT NULL on an existing table without a validated CHECK (col IS NOT NULL) first',
  kinds: ['AlterTableStmt'],
  check(stmt, ctx) {
    const rel = rangeVar(stmt.node.relation);
    const out: RuleReport[] = [];
    for (const c of (stmt.node.cmds ?? []) as AstNode[]) {
      const cmd = c.AlterTableCmd;
      if (cmd?.subtype !== 'AT_SetNotNull') continue;
      const { table, hazard } = ctx.lockTarget(rel);
      if (!hazard) continue;
      const col = String(cmd.name);
      const proven =
        ctx.pgMajor >= 12 &&
        table?.constraints.some(
          (k) =>
            k.kind === 'check' &&
            k.validated &&
            k.expression !== null &&
            new RegExp(`^\\(*"?${col}"?\\)*\\s+IS\\s+NOT\\s+NULL\\)*$`, 'i').test(k.expression.trim()),
        );
      if (proven) continue;
      const name = nameOf(table ?? rel);
      const check = `${(rel?.name ?? 't').slice(0, 40)}_${col}_not_null`;
      out.push({
        title: `${name}.${col} SET NOT NULL scans the table under an ACCESS EXCLUSIVE lock`,
        summary:
          'SET NOT NULL checks every row while blocking all reads and writes. Add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it in a separate transaction, then SET NOT NULL uses the constraint and skips the scan (PostgreSQL 12+).',
        evidence: { column: col, lockMode: 'ACCESS EXCLUSIVE', validatedCheck: false, ...tableEvidence(table) },
        remediation: {
          sql: [
            `ALTER TABLE ${sqlName(table ?? rel)} ADD CONSTRAINT ${q(check)} CHECK (${q(col)} IS NOT NULL) NOT VALID;`,
            `-- in a separate transaction:`,
            `ALTER TABLE ${sqlName(table ?? rel)} VALIDATE CONSTRAINT ${q(check)};`,
            `ALTER TABLE ${sqlName(table ?? rel)} ALTER COLUMN ${q(col)} SET NOT NULL;`,
            `ALTER TABLE ${sqlName(table ?? rel)} DROP CONSTRAINT ${q(check)};`,
          ].join('\n'),
        },
        object: `${name}.${col}`,
        ...(table ? { table } : {}),
      });
    }
    return out;
  },
};
