import type { AstNode } from '../../sql/parser.js';
import { rangeVar } from '../ast.js';
import type { RuleReport, StatementRule } from '../rule.js';
import { nameOf, q, sqlName } from '../rule-helpers.js';

/** `ADD COLUMN … NOT NULL` without a default fails on any table that has rows. */
export const rule: StatementRule = {
  id: 'add-column-not-null-without-default',
  profile: 'safety',
  category: 'migration',
  severity: 'high',
  scope: 'statement',
  description: 'ADD COLUMN NOT NULL without a DEFAULT fails on a table that has rows',
  kinds: ['AlterTableStmt'],
  check(stmt, ctx) {
    const rel = rangeVar(stmt.node.relation);
    const out: RuleReport[] = [];
    for (const c of (stmt.node.cmds ?? []) as AstNode[]) {
      const cmd = c.AlterTableCmd;
      const def = cmd?.subtype === 'AT_AddColumn' ? cmd.def?.ColumnDef : undefined;
      if (!def) continue;
      const constraints = ((def.constraints ?? []) as AstNode[]).map((k) => String(k.Constraint?.contype));
      const notNull = constraints.includes('CONSTR_NOTNULL') || constraints.includes('CONSTR_PRIMARY');
      const filled =
        constraints.includes('CONSTR_DEFAULT') ||
        constraints.includes('CONSTR_IDENTITY') ||
        constraints.includes('CONSTR_GENERATED') ||
        /^(big|small)?serial[248]?$/i.test(String(def.typeName?.names?.at(-1)?.String?.sval ?? ''));
      if (!notNull || filled) continue;
      const { table, hazard } = ctx.lockTarget(rel);
      if (!hazard) continue;
      const name = nameOf(table ?? rel);
      out.push({
        title: `${name}.${def.colname} is added NOT NULL without a default`,
        summary:
          'Existing rows would get NULL, so PostgreSQL rejects the ALTER on any non-empty table. Add the column with a constant DEFAULT (no rewrite since PostgreSQL 11), or nullable, backfill, then SET NOT NULL safely.',
        evidence: { column: def.colname, ...(table?.rowEstimate != null ? { rowEstimate: table.rowEstimate } : {}) },
        remediation: {
          sql: `ALTER TABLE ${sqlName(table ?? rel)} ADD COLUMN ${q(String(def.colname))} … NOT NULL DEFAULT <constant>;`,
        },
        at: def.location,
        object: `${name}.${def.colname}`,
        ...(table ? { table } : {}),
      });
    }
    return out;
  },
};
