import { columnRule } from '../column-rule.js';
import { nameOf } from '../rule-helpers.js';

const EMAIL = /(^|_)e?mail(_address)?$|^email/i;

/**
 * An email column stored as plain text with no CHECK accepts anything, and compares case-sensitively, so
 * `A@x.com` and `a@x.com` become two accounts. citext, a domain, or a CHECK fixes that.
 */
export const rule = columnRule({
  id: 'email-without-check',
  severity: 'low',
  description: 'email column without a CHECK constraint or a suitable type (citext / domain)',
  judge(c, t) {
    if (!EMAIL.test(c.name) || (c.type.name !== 'text' && c.type.name !== 'varchar')) return undefined;
    const checked = t.constraints.some((k) => k.kind === 'check' && k.columns.includes(c.name));
    const lowerUnique = t.indexes.some((i) => i.unique && i.keys.some((k) => k.expression?.includes(c.name)));
    if (checked) return undefined;
    return {
      title: `${nameOf(t)}.${c.name} is ${c.type.display} with no CHECK`,
      summary: `Any string is accepted as an email address${lowerUnique ? '' : ', and uniqueness is case-sensitive'}. Add a CHECK (or use a domain / citext) so bad values are refused at the source.`,
      evidence: { caseInsensitiveUnique: lowerUnique },
      fix: `ALTER TABLE {table} ADD CONSTRAINT ${t.name}_${c.name}_valid CHECK ({column} ~* '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$') NOT VALID;\nALTER TABLE {table} VALIDATE CONSTRAINT ${t.name}_${c.name}_valid;`,
    };
  },
});
