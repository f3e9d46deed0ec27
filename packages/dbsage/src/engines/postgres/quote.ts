/**
 * The one identifier-quoting helper. Generated SQL quotes identifiers with this; values are always parameters.
 */

const SAFE_IDENT = /^[a-z_][a-z0-9_$]*$/;

/** Reserved words that must be quoted even when lower-case (a conservative subset of PostgreSQL's list). */
const RESERVED = new Set(
  'all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create current_catalog current_date current_role current_time current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign from grant group having in initially intersect into lateral leading limit localtime localtimestamp not null offset on only or order placing primary references returning select session_user some symmetric system_user table then to trailing true union unique user using variadic when where window with authorization binary collation concurrently cross current_schema freeze full ilike inner is isnull join left like natural notnull outer overlaps right similar tablesample verbose'.split(
    ' ',
  ),
);

/** Quotes an identifier only when PostgreSQL needs it (keeps DDL readable). */
export function quoteIdent(name: string): string {
  if (SAFE_IDENT.test(name) && !RESERVED.has(name)) return name;
  return `"${name.replace(/"/g, '""')}"`;
}

/** `schema.name`, omitting `public`. */
export function qualifiedName(schema: string, name: string): string {
  return schema === 'public' ? quoteIdent(name) : `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** A SQL string literal (for DDL that cannot take parameters, e.g. index predicates from the catalog). */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
