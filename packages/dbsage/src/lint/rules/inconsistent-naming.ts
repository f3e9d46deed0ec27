import type { RuleReport, SchemaRule } from '../rule.js';
import { nameOf } from '../rule-helpers.js';

const SNAKE = /^[a-z_][a-z0-9_]*$/;

/** Crude English plural test for table names (`users`, `categories`, `addresses`), enough for a majority vote. */
function isPlural(name: string): boolean {
  const last = name.split('_').pop() ?? name;
  return /s$/.test(last) && !/(ss|us|is)$/.test(last);
}

/**
 * Names that need quoting (upper case, spaces) must be quoted in every query forever; a schema that mixes
 * singular and plural table names makes every join a guess. Reports identifiers that are not lower
 * snake_case, and tables that disagree with the majority's plural/singular convention.
 */
export const rule: SchemaRule = {
  id: 'inconsistent-naming',
  profile: 'style',
  category: 'design',
  severity: 'info',
  scope: 'schema',
  description: 'identifiers that need quoting, or table names that break the schema’s singular/plural convention',
  check(ctx) {
    const out: RuleReport[] = [];
    const tables = ctx.tables.filter((t) => !t.partial);
    for (const t of ctx.tables) {
      const bad = [t.name, ...t.columns.map((c) => c.name)].filter((n) => !SNAKE.test(n));
      for (const name of bad) {
        const col = t.columns.find((c) => c.name === name);
        out.push({
          title: `${name === t.name ? 'table' : 'column'} "${name}"${name === t.name ? '' : ` of ${nameOf(t)}`} is not lower snake_case`,
          summary:
            'An identifier with upper case or special characters has to be double-quoted in every query, and an unquoted reference silently means a different name.',
          evidence: {
            identifier: name,
            suggested: name
              .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
              .replace(/[^A-Za-z0-9_]+/g, '_')
              .toLowerCase(),
          },
          remediation: {
            steps: [
              `rename to ${name
                .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
                .replace(/[^A-Za-z0-9_]+/g, '_')
                .toLowerCase()} (a breaking change: see rename-table / rename-column)`,
            ],
          },
          ...(col?.location ? { pos: col.location } : t.location ? { pos: t.location } : {}),
          object: `${nameOf(t)}.${name}.case`,
        });
      }
    }
    if (tables.length >= 3) {
      const plural = tables.filter((t) => isPlural(t.name));
      const majorityPlural = plural.length * 2 > tables.length;
      const minority = majorityPlural ? tables.filter((t) => !isPlural(t.name)) : plural;
      // Only a clear majority makes a convention.
      if (minority.length * 3 <= tables.length) {
        for (const t of minority) {
          out.push({
            title: `table ${nameOf(t)} is ${majorityPlural ? 'singular' : 'plural'} while most tables are ${majorityPlural ? 'plural' : 'singular'}`,
            summary: 'Mixing singular and plural table names makes every query and join a guess. Pick one convention.',
            evidence: { plural: plural.length, singular: tables.length - plural.length },
            remediation: {
              steps: ['rename the table to follow the majority convention (a breaking change: see rename-table)'],
            },
            ...(t.location ? { pos: t.location } : {}),
            object: `${nameOf(t)}.number`,
          });
        }
      }
    }
    return out;
  },
};
