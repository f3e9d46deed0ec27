import type { AstNode } from '../../sql/parser.js';
import { defaultVolatility, exprText, rangeVar } from '../ast.js';
import type { RuleReport, StatementRule } from '../rule.js';
import { nameOf, q, sqlName, tableEvidence } from '../rule-helpers.js';

/**
 * `ADD COLUMN` with a volatile default (or any default before PostgreSQL 11) or a STORED generated column
 * rewrites the whole table under ACCESS EXCLUSIVE.
 */
export const rule: StatementRule = {
  id: 'add-column-rewrite',
  profile: 'safety',
  category: 'migration',
  severity: 'high',
  scope: 'statement',
  lockHazard: true,
  description: 'ADD COLUMN with a volatile default or a stored generated column rewrites the table',
  kinds: ['AlterTableStmt'],
  check(stmt, ctx) {
    const rel = rangeVar(stmt.node.relation);
    const out: RuleReport[] = [];
    const stable = new Set(
      [...ctx.model.functions.values()].filter((f) => f.volatility !== 'volatile').map((f) => f.name),
    );
    for (const c of (stmt.node.cmds ?? []) as AstNode[]) {
      const cmd = c.AlterTableCmd;
      const def = cmd?.subtype === 'AT_AddColumn' ? cmd.def?.ColumnDef : undefined;
      if (!def) continue;
      const { table, hazard } = ctx.lockTarget(rel);
      if (!hazard) continue;
      const name = nameOf(table ?? rel);
      const typeName = String(def.typeName?.names?.at(-1)?.String?.sval ?? '').toLowerCase();
      const serial = /^(big|small)?serial[248]?$/.test(typeName);
      const pseudo: AstNode[] = serial ? [{ Constraint: { contype: 'SERIAL' } }] : [];
      for (const k of [...((def.constraints ?? []) as AstNode[]), ...pseudo]) {
        const con = k.Constraint;
        let reason: string | undefined;
        let volatility: string | undefined;
        if (con?.contype === 'CONSTR_GENERATED' && con.generated_kind !== 'v') {
          reason = 'a STORED generated column is computed for every existing row';
        } else if (con?.contype === 'CONSTR_IDENTITY') {
          reason = 'an identity column takes a new sequence value for every existing row';
          volatility = 'volatile';
        } else if (con?.contype === 'SERIAL') {
          reason = `a ${typeName} column's nextval() default is evaluated for every existing row`;
          volatility = 'volatile';
        } else if (con?.contype === 'CONSTR_DEFAULT') {
          volatility = defaultVolatility(con.raw_expr, stable);
          if (volatility === 'volatile' || volatility === 'unknown') {
            reason = `the default ${exprText(con.raw_expr)} is ${volatility === 'volatile' ? 'volatile' : 'not known to be stable'}, so it is evaluated for every existing row`;
          } else if (ctx.pgMajor < 11) {
            reason = 'before PostgreSQL 11 any non-null default is written into every existing row';
          }
        }
        if (!reason) continue;
        const col = String(def.colname);
        out.push({
          title: `adding ${name}.${col} rewrites the table`,
          summary: `ADD COLUMN rewrites the whole table under an ACCESS EXCLUSIVE lock because ${reason}. Add the column without it, backfill in batches, then set the default for new rows.`,
          evidence: {
            column: col,
            lockMode: 'ACCESS EXCLUSIVE',
            rewrite: true,
            ...(volatility ? { defaultVolatility: volatility } : { generated: 'stored' }),
            ...tableEvidence(table),
          },
          remediation: {
            sql: [
              `ALTER TABLE ${sqlName(table ?? rel)} ADD COLUMN ${q(col)} ${exprText(def.typeName ? { TypeName: def.typeName } : undefined) || '<type>'};`,
              con?.contype === 'CONSTR_DEFAULT'
                ? `ALTER TABLE ${sqlName(table ?? rel)} ALTER COLUMN ${q(col)} SET DEFAULT ${exprText(con.raw_expr)};`
                : con?.contype === 'CONSTR_GENERATED'
                  ? `-- maintain ${q(col)} with a trigger or in the application instead of a stored generated column`
                  : `-- fill ${q(col)} for new rows from a sequence default, backfill old rows in batches, then add the identity/NOT NULL`,
              `-- backfill existing rows in batches: UPDATE … WHERE id BETWEEN … ;`,
            ].join('\n'),
          },
          at: def.location,
          object: `${name}.${col}`,
          ...(table ? { table } : {}),
        });
      }
    }
    return out;
  },
};
