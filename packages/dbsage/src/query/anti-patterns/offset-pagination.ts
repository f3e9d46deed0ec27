import { quoteIdent } from '../../engines/postgres/quote.js';
import type { AntiPatternRule } from './anti-pattern.js';

/**
 * `offset-pagination`: OFFSET makes PostgreSQL produce and throw away every skipped row, so page n costs O(n);
 * keyset pagination (`WHERE (sort key) < (last seen) ORDER BY … LIMIT`) costs the same on every page. A
 * constant OFFSET below `minConstOffset` (a "next 10" on the first page) is left alone.
 */
export const offsetPagination: AntiPatternRule = {
  id: 'offset-pagination',
  description: 'OFFSET pagination (suggest keyset)',
  check(s) {
    const off = s.model.offset;
    if (!off) return [];
    if (off.kind === 'const' && (typeof off.value !== 'number' || off.value < 100)) return [];
    const keys = s.model.orderBy.filter((k) => k.column || k.expression);
    const fix: { sql?: string; steps: string[] } = { steps: [] };
    if (keys.length > 0 && keys.every((k) => k.column && k.descending === keys[0]!.descending)) {
      // Unqualified: the model resolves aliases to table names, which the user's query may not use.
      const cols = keys.map((k) => quoteIdent(k.column!));
      const cmp = keys[0]!.descending ? '<' : '>';
      const last = keys.map((_, i) => `$last${i + 1}`);
      fix.sql = `-- keyset: pass the sort key of the last row of the previous page\n... WHERE (${cols.join(', ')}) ${cmp} (${last.join(', ')})\nORDER BY ${keys.map((k, i) => `${cols[i]}${k.descending ? ' DESC' : ''}`).join(', ')}\nLIMIT …`;
      fix.steps.push(
        'Remember the sort key of the last row shown and ask for rows after it; make the sort key unique (append the primary key) so no row is skipped or repeated, and index it.',
      );
    } else {
      fix.steps.push('Paginate on a unique, indexed sort key (keyset / seek method) instead of OFFSET.');
    }
    return [
      {
        severity: off.kind === 'const' && typeof off.value === 'number' && off.value >= 10_000 ? 'medium' : 'low',
        title: `OFFSET pagination${off.kind === 'const' ? ` (OFFSET ${off.value})` : ''} on ${s.model.relations.map((r) => r.name).join(', ')}`,
        summary:
          'Every skipped row is still read and discarded, so deep pages get linearly slower; keyset pagination reads only the page.',
        evidence: {
          offset: off.kind === 'const' ? off.value : off.kind === 'param' ? `$${off.index}` : off.kind,
          orderBy: keys.map((k) => `${k.column ?? k.expression}${k.descending ? ' DESC' : ''}`),
        },
        fix,
        identity: s.model.relations.map((r) => r.name).join(','),
      },
    ];
  },
};
