import { strings } from '../ast.js';
import type { RuleReport, StatementRule } from '../rule.js';

/**
 * `ALTER TYPE … ADD VALUE` without BEFORE/AFTER appends the value at the end, which changes ORDER BY results
 * when the enum's order carries meaning; before PostgreSQL 12 it also cannot run inside a transaction, and
 * the new value cannot be used in the transaction that added it.
 */
export const rule: StatementRule = {
  id: 'enum-add-value',
  profile: 'safety',
  category: 'migration',
  severity: 'low',
  scope: 'statement',
  description: 'ALTER TYPE ADD VALUE without BEFORE/AFTER, or inside a transaction before PostgreSQL 12',
  kinds: ['AlterEnumStmt'],
  check(stmt, ctx) {
    const n = stmt.node;
    if (!n.newVal || n.oldVal) return [];
    const type = strings(n.typeName).join('.');
    const out: RuleReport[] = [];
    if (ctx.tx.inTransaction && ctx.pgMajor < 12) {
      out.push({
        title: `ALTER TYPE ${type} ADD VALUE '${n.newVal}' runs inside a transaction`,
        summary:
          'Before PostgreSQL 12, ALTER TYPE … ADD VALUE cannot run inside a transaction block and the migration fails.',
        evidence: { type, value: n.newVal, pgMajor: ctx.pgMajor },
        remediation: { steps: ['run it in its own migration without a transaction'] },
        object: `${type}.${n.newVal}.tx`,
        severity: 'high',
      });
    }
    if (!n.newValNeighbor) {
      const values = ctx.model.enums.get(type);
      out.push({
        title: `enum value '${n.newVal}' is appended to ${type} without BEFORE/AFTER`,
        summary:
          'Without BEFORE or AFTER the value goes last, which changes the sort order of the enum (ORDER BY, <, >) if its order means something. State the position explicitly. The new value also cannot be used in the transaction that adds it.',
        evidence: { type, value: n.newVal, ...(values ? { currentValues: values } : {}) },
        remediation: {
          sql: `ALTER TYPE ${type} ADD VALUE ${n.skipIfNewValExists ? 'IF NOT EXISTS ' : ''}'${n.newVal}' AFTER '${values?.at(-1) ?? '<existing value>'}';`,
        },
        object: `${type}.${n.newVal}`,
      });
    }
    return out;
  },
};
