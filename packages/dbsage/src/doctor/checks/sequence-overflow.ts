import { qualifiedName, quoteIdent } from '../../engines/postgres/quote.js';
import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb } from '../severity.js';
import { USER_SCHEMAS } from '../sources.js';
import { query } from '../state.js';
import { formatCount, round } from '../units.js';

/** Largest value of the integer types a sequence can feed. */
const TYPE_MAX: Record<string, number> = {
  smallint: 32_767,
  integer: 2_147_483_647,
  bigint: 2 ** 63 - 1, // not exact in a double; percentages do not need it to be
};

/**
 * `sequence-overflow`: sequences close to their end, judged against the smaller of the sequence's own
 * MAXVALUE and the type of the column it feeds (a bigint sequence behind an integer column fails at 2³¹ − 1,
 * with inserts erroring out). Cycling sequences are left out.
 */
export const sequenceOverflow = defineCheck({
  id: 'sequence-overflow',
  category: 'schema',
  watchRefresh: 'counters',
  description: "Sequences near overflow against the owning column's type and the sequence's own max",
  options: {
    lowPercent: {
      type: 'number',
      default: 50,
      min: 0,
      description: 'share of the range used from which it is reported (low)',
    },
    mediumPercent: { type: 'number', default: 75, min: 0, description: 'share used from which severity is medium' },
    highPercent: { type: 'number', default: 90, min: 0, description: 'share used from which severity is high' },
    criticalPercent: { type: 'number', default: 98, min: 0, description: 'share used from which severity is critical' },
  },
  limitations: [{ without: 'superuser', effect: 'sequences without SELECT or USAGE privilege show no last value' }],
  async run(ctx, o) {
    const rows = await query<Record<string, unknown>>(
      ctx,
      `SELECT s.schemaname AS schema, s.sequencename AS name, s.data_type::text AS data_type,
              s.min_value::float8 AS min_value, s.max_value::float8 AS max_value, s.increment_by::float8 AS increment,
              s.last_value::float8 AS last_value, s.cycle,
              own.table_schema, own.table_name, own.column_name, own.column_type
         FROM pg_sequences s
         JOIN pg_namespace n ON n.nspname = s.schemaname
         JOIN pg_class sc ON sc.relname = s.sequencename AND sc.relnamespace = n.oid
         LEFT JOIN LATERAL (
           SELECT tn.nspname AS table_schema, tc.relname AS table_name, a.attname AS column_name,
                  format_type(a.atttypid, NULL) AS column_type
             FROM pg_depend d
             JOIN pg_class tc ON tc.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
             JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
            WHERE d.classid = 'pg_class'::regclass AND d.objid = sc.oid AND d.refobjsubid > 0
              AND d.deptype IN ('a', 'i')      -- a: serial OWNED BY, i: identity column
            LIMIT 1) own ON true
        WHERE NOT s.cycle AND s.last_value IS NOT NULL AND ${USER_SCHEMAS}`,
    );
    const out = [];
    for (const r of rows) {
      const increment = Number(r.increment);
      const last = Number(r.last_value);
      const columnType = r.column_type === null ? null : String(r.column_type);
      const columnMax = columnType ? (TYPE_MAX[columnType] ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY;
      const ascending = increment > 0;
      const seqMax = Number(r.max_value);
      const seqMin = Number(r.min_value);
      const end = ascending
        ? Math.min(seqMax, columnMax)
        : Math.max(seqMin, columnType ? -(TYPE_MAX[columnType] ?? Infinity) - 1 : seqMin);
      const start = ascending ? Math.max(seqMin, 0) : Math.min(seqMax, 0);
      const used = ascending ? (last - start) / (end - start) : (start - last) / (start - end);
      const usedPercent = used * 100;
      const severity = climb(usedPercent, {
        low: o.lowPercent,
        medium: o.mediumPercent,
        high: o.highPercent,
        critical: o.criticalPercent,
      });
      if (!severity) continue;
      const schema = String(r.schema);
      const name = String(r.name);
      const limitedBy = ascending && columnMax < seqMax ? 'column type' : 'sequence max';
      const remaining = Math.abs(end - last) / Math.abs(increment);
      const table = r.table_name === null ? null : qualifiedName(String(r.table_schema), String(r.table_name));
      const steps = [
        ...(table && columnType !== 'bigint'
          ? [
              `ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(String(r.column_name))} TYPE bigint; -- rewrites the table under an ACCESS EXCLUSIVE lock, and referencing FK columns must change too: plan it (or migrate via a new column and a backfill).`,
            ]
          : []),
        ...(String(r.data_type) !== 'bigint' ? [`ALTER SEQUENCE ${qualifiedName(schema, name)} AS bigint;`] : []),
      ];
      out.push(
        makeFinding({
          ruleId: 'sequence-overflow',
          category: 'schema',
          severity,
          title: `Sequence ${qualifiedName(schema, name)} has used ${round(usedPercent, 1)}% of its range (${formatCount(remaining)} values left${table ? `, feeds ${table}.${String(r.column_name)} ${columnType}` : ''})`,
          summary:
            'When the sequence reaches the limit, nextval() fails (or the value no longer fits the column) and every insert errors out. Widening the column is a table rewrite, so it needs planning well before the end.',
          evidence: {
            sequence: `${schema}.${name}`,
            sequenceType: String(r.data_type),
            lastValue: last,
            increment,
            limit: end,
            limitedBy,
            usedPercent: round(usedPercent, 2),
            valuesLeft: Math.floor(remaining),
            ownedBy: table ? `${String(r.table_schema)}.${String(r.table_name)}.${String(r.column_name)}` : null,
            columnType,
          },
          remediation: {
            steps:
              steps.length > 0
                ? steps
                : [
                    'The sequence is at its own MAXVALUE: raise it with ALTER SEQUENCE … MAXVALUE, or restart from a free range.',
                  ],
          },
          object: `sequence ${schema}.${name}`,
          identity: [schema, name],
        }),
      );
    }
    return out;
  },
});
