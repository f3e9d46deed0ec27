import { quoteIdent, quoteLiteral } from '../../engines/postgres/quote.js';
import type { FieldFormat, FieldSpec, FieldType } from '../model/schema.js';

/**
 * Logical type → PostgreSQL type, defaults and CHECKs. The mapping follows the design rules lint enforces:
 * `text` with a CHECK rather than `varchar(n)` (a length limit is a business rule, and changing a CHECK does not
 * rewrite the table), `timestamptz` rather than `timestamp`, `jsonb` rather than `json`, `numeric(p,s)` for money,
 * and `text` + CHECK (… IN …) rather than an enum type (adding or removing a value is a constraint swap, not
 * `ALTER TYPE`, which cannot remove a value).
 */

const BASE: Record<FieldType, string> = {
  string: 'text',
  integer: 'integer',
  bigint: 'bigint',
  smallint: 'smallint',
  decimal: 'numeric',
  float: 'double precision',
  boolean: 'boolean',
  timestamp: 'timestamptz',
  date: 'date',
  time: 'time',
  interval: 'interval',
  uuid: 'uuid',
  json: 'jsonb',
  bytes: 'bytea',
  enum: 'text',
};

/** The column type for a field. */
export function pgTypeOf(field: FieldSpec): string {
  if (field.pgType) return field.pgType;
  let base = BASE[field.type];
  if (field.type === 'string' && field.format === 'uuid') base = 'uuid';
  if (field.type === 'decimal' && field.precision !== undefined) {
    base = `numeric(${field.precision}${field.scale !== undefined ? `, ${field.scale}` : ''})`;
  }
  return field.array ? `${base}[]` : base;
}

/** The DEFAULT expression for a field, or null. */
export function defaultSql(field: FieldSpec): string | null {
  const d = field.default;
  if (d === undefined || d === null) return null;
  if (typeof d === 'object' && !Array.isArray(d) && typeof (d as { sql?: unknown }).sql === 'string') {
    return (d as { sql: string }).sql;
  }
  if (field.type === 'json') return quoteLiteral(JSON.stringify(d));
  if (d === 'now') {
    if (field.type === 'date') return 'CURRENT_DATE';
    if (field.type === 'time') return 'LOCALTIME';
    return 'now()';
  }
  if (Array.isArray(d)) return `${quoteLiteral(`{${d.map((v) => JSON.stringify(v)).join(',')}}`)}`;
  if (typeof d === 'number') return String(d);
  if (typeof d === 'boolean') return d ? 'true' : 'false';
  return quoteLiteral(String(d));
}

/**
 * Regular expressions for formats. The email one is deliberately permissive (local@domain.tld): full RFC 5322
 * validation belongs in the application; the database guards against obviously wrong data.
 */
export const FORMAT_PATTERNS: Record<Exclude<FieldFormat, 'uuid'>, { op: '~' | '~*'; regex: string }> = {
  email: { op: '~*', regex: '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$' },
  url: { op: '~*', regex: '^https?://[^\\s/$.?#][^\\s]*$' },
  slug: { op: '~', regex: '^[a-z0-9]+(-[a-z0-9]+)*$' },
};

/** A CHECK constraint derived from a field, with its name suffix and the rule behind it. */
export interface FieldCheck {
  suffix: 'check' | 'format' | 'length' | 'range' | 'pattern';
  expression: string;
  what: string;
}

/** The CHECK constraints a field implies (enum values, format, length, range, pattern). */
export function fieldChecks(column: string, field: FieldSpec): FieldCheck[] {
  if (field.pgType) return [];
  const c = quoteIdent(column);
  const out: FieldCheck[] = [];
  if (field.type === 'enum' && field.values) {
    const list = field.values.map(quoteLiteral).join(', ');
    out.push({
      suffix: 'check',
      expression: field.array ? `${c} <@ ARRAY[${list}]` : `${c} IN (${list})`,
      what: `one of ${field.values.join(', ')}`,
    });
  }
  if (field.array) return out;
  if (field.type === 'string' && field.format && field.format !== 'uuid') {
    const f = FORMAT_PATTERNS[field.format];
    out.push({ suffix: 'format', expression: `${c} ${f.op} ${quoteLiteral(f.regex)}`, what: `${field.format} format` });
  }
  if (field.type === 'string' && (field.minLength !== undefined || field.maxLength !== undefined)) {
    const parts: string[] = [];
    if (field.minLength !== undefined) parts.push(`char_length(${c}) >= ${field.minLength}`);
    if (field.maxLength !== undefined) parts.push(`char_length(${c}) <= ${field.maxLength}`);
    out.push({ suffix: 'length', expression: parts.join(' AND '), what: 'length limit' });
  }
  const range: string[] = [];
  if (field.exclusiveMin !== undefined) range.push(`${c} > ${field.exclusiveMin}`);
  if (field.min !== undefined) range.push(`${c} >= ${field.min}`);
  if (field.max !== undefined) range.push(`${c} <= ${field.max}`);
  if (range.length > 0) out.push({ suffix: 'range', expression: range.join(' AND '), what: 'value range' });
  if (field.pattern !== undefined) {
    out.push({ suffix: 'pattern', expression: `${c} ~ ${quoteLiteral(field.pattern)}`, what: 'pattern' });
  }
  return out;
}

/** PostgreSQL truncates identifiers to 63 bytes; keep generated names within that. */
export function pgName(...parts: string[]): string {
  const name = parts.filter((p) => p !== '').join('_');
  if (Buffer.byteLength(name) <= 63) return name;
  return name.slice(0, 63).replace(/_+$/, '');
}
