import type { AstNode } from '../../sql/parser.js';
import { exprText, rangeVar, strings } from '../ast.js';
import type { RuleReport, StatementRule } from '../rule.js';
import { nameOf, q, sqlName, tableEvidence } from '../rule-helpers.js';

/**
 * A CHECK or FOREIGN KEY added to an existing table is validated while the ALTER holds its lock (ACCESS
 * EXCLUSIVE for CHECK, SHARE ROW EXCLUSIVE on both tables for a foreign key), so writes wait for a full scan.
 * Adding it NOT VALID and validating in a later transaction takes the scan out of the lock. Validating in the
 * same transaction as the NOT VALID add gains nothing, and is reported too.
 */
export const rule: StatementRule = {
  id: 'constraint-without-not-valid',
  profile: 'safety',
  category: 'migration',
  severity: 'high',
  scope: 'statement',
  lockHazard: true,
  description:
    'CHECK / FOREIGN KEY added to an existing table without NOT VALID, then VALIDATE in a separate transaction',
  kinds: ['AlterTableStmt'],
  check(stmt, ctx) {
    const rel = rangeVar(stmt.node.relation);
    const { table, hazard } = ctx.lockTarget(rel);
    const name = nameOf(table ?? rel);
    const out: RuleReport[] = [];
    for (const c of (stmt.node.cmds ?? []) as AstNode[]) {
      const cmd = c.AlterTableCmd;
      if (!cmd) continue;
      if (cmd.subtype === 'AT_ValidateConstraint') {
        const key = `${table?.schema ?? 'public'}.${rel?.name}.${cmd.name}`;
        if (ctx.tx.notValidInTx.has(key)) {
          out.push({
            title: `constraint ${cmd.name} on ${name} is validated in the same transaction that added it NOT VALID`,
            summary:
              'The ACCESS EXCLUSIVE lock taken by ADD CONSTRAINT is held until the transaction ends, so validating in the same transaction scans the table under that lock. COMMIT between the two steps.',
            evidence: { constraint: cmd.name, ...tableEvidence(table) },
            remediation: {
              steps: [
                'Commit after `ADD CONSTRAINT … NOT VALID` and run `VALIDATE CONSTRAINT` in a separate transaction (or a later migration).',
              ],
            },
            object: `${name}.${cmd.name}.validate`,
            ...(table ? { table } : {}),
          });
        }
        continue;
      }
      if (!hazard) continue;
      const constraints: { c: AstNode; column?: string }[] = [];
      if (cmd.subtype === 'AT_AddConstraint' && cmd.def?.Constraint) constraints.push({ c: cmd.def.Constraint });
      if (cmd.subtype === 'AT_AddColumn') {
        for (const k of (cmd.def?.ColumnDef?.constraints ?? []) as AstNode[]) {
          if (k.Constraint) constraints.push({ c: k.Constraint, column: String(cmd.def.ColumnDef.colname) });
        }
      }
      for (const { c: k, column } of constraints) {
        if (k.contype !== 'CONSTR_CHECK' && k.contype !== 'CONSTR_FOREIGN') continue;
        if (k.skip_validation) continue;
        const fk = k.contype === 'CONSTR_FOREIGN';
        const ref = fk ? rangeVar(k.pktable) : undefined;
        const cols = column ? [column] : strings(k.fk_attrs);
        const conname = k.conname
          ? String(k.conname)
          : `${rel?.name}_${cols.join('_') || 'check'}_${fk ? 'fkey' : 'check'}`;
        const definition = fk
          ? `FOREIGN KEY (${cols.map(q).join(', ')}) REFERENCES ${sqlName(ref)}${strings(k.pk_attrs).length ? ` (${strings(k.pk_attrs).map(q).join(', ')})` : ''}`
          : `CHECK (${exprText(k.raw_expr)})`;
        const fix = column
          ? undefined
          : `ALTER TABLE ${sqlName(table ?? rel)} ADD CONSTRAINT ${q(conname)} ${definition} NOT VALID;\n-- in a separate transaction:\nALTER TABLE ${sqlName(table ?? rel)} VALIDATE CONSTRAINT ${q(conname)};`;
        out.push({
          title: fk
            ? `foreign key ${conname} on ${name} → ${nameOf(ref)} is added without NOT VALID`
            : `CHECK constraint ${conname} on ${name} is added without NOT VALID`,
          summary: fk
            ? `Adding a foreign key validates every row while holding SHARE ROW EXCLUSIVE on ${name} and ${nameOf(ref)}, blocking writes to both. Add it NOT VALID, then VALIDATE CONSTRAINT in a separate transaction.`
            : `Adding a CHECK constraint scans ${name} under an ACCESS EXCLUSIVE lock, blocking reads and writes. Add it NOT VALID, then VALIDATE CONSTRAINT in a separate transaction.`,
          evidence: {
            constraint: conname,
            kind: fk ? 'foreign key' : 'check',
            lockMode: fk ? 'SHARE ROW EXCLUSIVE' : 'ACCESS EXCLUSIVE',
            ...(ref ? { referencedTable: nameOf(ref) } : {}),
            ...(column ? { viaAddColumn: column } : {}),
            ...tableEvidence(table),
          },
          remediation: fix
            ? { sql: fix }
            : {
                steps: [
                  `Add the column first, then the constraint NOT VALID, then VALIDATE it in a separate transaction.`,
                ],
              },
          at: k.location,
          object: `${name}.${conname}`,
          ...(table ? { table } : {}),
        });
      }
    }
    return out;
  },
};
