import type { Severity } from '../findings/finding.js';
import type { Profile, RuleReport, SchemaContext, SchemaRule } from './rule.js';
import { nameOf, q, sqlName } from './rule-helpers.js';
import type { ModelColumn, ModelTable } from './schema-model.js';

/** What a per-column design rule decides for one column. */
export interface ColumnVerdict {
  title: string;
  summary: string;
  evidence?: Record<string, unknown>;
  /** Fix DDL; `{table}` and `{column}` are replaced with quoted names. */
  fix: string;
  severity?: Severity;
}

/**
 * Builds a design rule that looks at every column of every judged table (views excluded). Column rules are
 * the bulk of design rules; this keeps each rule file down to its decision.
 */
export function columnRule(spec: {
  id: string;
  profile?: Profile;
  severity: Severity;
  description: string;
  judge(column: ModelColumn, table: ModelTable, ctx: SchemaContext): ColumnVerdict | undefined;
}): SchemaRule {
  return {
    id: spec.id,
    profile: spec.profile ?? 'design',
    category: 'design',
    severity: spec.severity,
    scope: 'schema',
    description: spec.description,
    check(ctx) {
      const out: RuleReport[] = [];
      for (const t of ctx.tables) {
        if (t.kind === 'view') continue;
        for (const c of t.columns) {
          const v = spec.judge(c, t, ctx);
          if (!v) continue;
          out.push({
            title: v.title,
            summary: v.summary,
            evidence: { column: `${nameOf(t)}.${c.name}`, type: c.type.display, ...(v.evidence ?? {}) },
            remediation: { sql: v.fix.replaceAll('{table}', sqlName(t)).replaceAll('{column}', q(c.name)) },
            ...(c.location ? { pos: c.location } : {}),
            object: `${nameOf(t)}.${c.name}`,
            ...(v.severity ? { severity: v.severity } : {}),
          });
        }
      }
      return out;
    },
  };
}
