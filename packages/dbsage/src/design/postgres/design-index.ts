/**
 * An index the design emits: the same shape the catalog model reads back (method, keys with expression, order
 * and operator class, INCLUDE, predicate), so a generated index can be compared with an existing or recommended
 * one key by key.
 */
export interface DesignIndexKey {
  column: string | null;
  expression: string | null;
  descending: boolean;
  opclass: string | null;
  /** Explicit NULLS FIRST / LAST when it differs from the direction's default (declared indexes only). */
  nulls?: 'first' | 'last';
}

/** A derived or declared index with the reasons behind it. */
export interface DesignIndex {
  table: string;
  method: string;
  keys: DesignIndexKey[];
  include: string[];
  predicate: string | null;
  unique: boolean;
  /** Given by the model (explicit index) or chosen by the generator. */
  name: string | null;
  /** Access patterns or rules that asked for it. */
  reasons: { basis: string; because: string }[];
}

/** A stable identity of what an index does (not its name), for merging and comparisons. */
export function indexShape(
  ix: Pick<DesignIndex, 'table' | 'method' | 'keys' | 'include' | 'predicate' | 'unique'>,
): string {
  const keys = ix.keys
    .map(
      (k) =>
        `${k.column ?? `(${k.expression})`}${k.descending ? ' DESC' : ''}${k.opclass ? ` ${k.opclass}` : ''}${k.nulls ? ` NULLS ${k.nulls}` : ''}`,
    )
    .join(', ');
  return `${ix.unique ? 'unique ' : ''}${ix.table} USING ${ix.method} (${keys})${ix.include.length ? ` INCLUDE (${ix.include.join(', ')})` : ''}${ix.predicate ? ` WHERE ${ix.predicate}` : ''}`;
}

/**
 * True when `wide` serves every lookup `narrow` serves: same table and method, `narrow`'s keys are a leading
 * prefix of `wide`'s (B-tree; GIN and others must match exactly), same predicate, and `narrow` enforces no
 * uniqueness that `wide` lacks. Direction of a single-key prefix does not matter (B-trees scan both ways).
 */
export function indexCovers(wide: DesignIndex, narrow: DesignIndex): boolean {
  if (wide.table !== narrow.table || wide.method !== narrow.method) return false;
  if (normalizeSqlText(wide.predicate ?? '') !== normalizeSqlText(narrow.predicate ?? '')) return false;
  if (narrow.unique && !(wide.unique && wide.keys.length === narrow.keys.length)) return false;
  if (narrow.keys.length > wide.keys.length) return false;
  if (wide.method !== 'btree' && narrow.keys.length !== wide.keys.length) return false;
  const flip = narrow.keys.length > 0 && narrow.keys[0]!.descending !== wide.keys[0]!.descending;
  for (let i = 0; i < narrow.keys.length; i++) {
    const a = narrow.keys[i]!;
    const b = wide.keys[i]!;
    if (a.column !== b.column || normalizeSqlText(a.expression ?? '') !== normalizeSqlText(b.expression ?? ''))
      return false;
    if ((a.opclass ?? null) !== (b.opclass ?? null)) return false;
    if (wide.method === 'btree' && (a.descending !== b.descending) !== flip) return false;
  }
  return narrow.include.every((c) => wide.include.includes(c) || wide.keys.some((k) => k.column === c));
}

/**
 * Normalises an index expression or predicate for comparison: PostgreSQL prints `to_tsvector('english'::regconfig,
 * body)` and `(status = 'banned'::text)` for what was written `to_tsvector('english', body)` and
 * `status = 'banned'`, so casts, parentheses, quotes and spaces are dropped.
 */
export function normalizeSqlText(text: string): string {
  return text
    .toLowerCase()
    .replace(/::[a-z_ ]+(\[\])?/g, '')
    .replace(/[\s()"]/g, '');
}
