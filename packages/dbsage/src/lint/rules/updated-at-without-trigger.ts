import { columnRule } from '../column-rule.js';
import { nameOf } from '../rule-helpers.js';
import { functionMaintains } from '../schema-model.js';

/** Column names that claim to record the last modification. */
const UPDATED_AT = /^(updated_at|modified_at|updated_on|modified_on|last_modified|updatedat|modifiedat)$/i;

/**
 * An `updated_at` column that nothing maintains is only as right as every code path that writes the table.
 * A BEFORE UPDATE row trigger that assigns it (or contrib's moddatetime) makes it true for every writer.
 */
export const rule = columnRule({
  id: 'updated-at-without-trigger',
  severity: 'low',
  description: 'updated_at column without a trigger that maintains it',
  judge(c, t, ctx) {
    if (!UPDATED_AT.test(c.name) || t.kind === 'view' || t.partial) return undefined;
    const maintained = t.triggers.some((tr) => {
      if (tr.timing !== 'BEFORE' || !tr.forEachRow || !tr.events.includes('UPDATE')) return false;
      if (tr.function === 'moddatetime') return tr.args.includes(c.name);
      const fn = ctx.model.functions.get(tr.function);
      // A trigger whose function body we cannot see (another schema, C function) gets the benefit of the doubt.
      return fn === undefined || fn.source === null || functionMaintains(fn, c.name);
    });
    if (maintained) return undefined;
    return {
      title: `${nameOf(t)}.${c.name} has no trigger that maintains it`,
      summary:
        'Nothing in the database updates this column, so it is wrong whenever a writer (a script, a bulk UPDATE, another service) forgets to set it. A BEFORE UPDATE trigger keeps it true.',
      evidence: { triggers: t.triggers.map((tr) => tr.name) },
      fix: `CREATE OR REPLACE FUNCTION set_${c.name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.${c.name} = now();\n  RETURN NEW;\nEND;\n$$;\nCREATE TRIGGER ${t.name}_set_${c.name} BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION set_${c.name}();`,
    };
  },
});
