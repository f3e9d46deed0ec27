import { columnRule } from '../column-rule.js';
import { nameOf } from '../rule-helpers.js';

const UUID_NAME = /(^|_)(uuid|guid)$/i;

/** A uuid stored as text takes 37+ bytes instead of 16, accepts garbage and compares as a string. */
export const rule = columnRule({
  id: 'uuid-as-text',
  severity: 'low',
  description: 'uuid value stored in a text/varchar/char column',
  judge(c, t) {
    if (!['text', 'varchar', 'bpchar'].includes(c.type.name)) return undefined;
    const byName = UUID_NAME.test(c.name);
    const byDefault = /gen_random_uuid|uuid_generate|uuidv[47]/i.test(c.default ?? '');
    const byLength =
      (c.type.name === 'bpchar' || c.type.name === 'varchar') && c.type.typmods[0] === 36 && /(^|_)id$/.test(c.name);
    if (!byName && !byDefault && !byLength) return undefined;
    return {
      title: `${nameOf(t)}.${c.name} holds uuids as ${c.type.display}`,
      summary:
        'The uuid type stores 16 bytes instead of 37 or more, rejects malformed values and makes indexes smaller and comparisons faster.',
      evidence: { matchedBy: byDefault ? 'default' : byName ? 'name' : 'length 36' },
      fix: `ALTER TABLE {table} ALTER COLUMN {column} TYPE uuid USING {column}::uuid;`,
    };
  },
});
