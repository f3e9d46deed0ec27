/**
 * The statement model the advisor, lint and N+1 detector consume: what a statement reads and writes, and how
 * it filters, joins, groups and sorts. Produced by {@link extractStatement} from the real parse tree.
 */

/** Predicate operators recognised. */
export const PREDICATE_OPS = [
  '=',
  '<>',
  '<',
  '<=',
  '>',
  '>=',
  'IN',
  'NOT IN',
  'BETWEEN',
  'NOT BETWEEN',
  'IS NULL',
  'IS NOT NULL',
  'LIKE',
  'NOT LIKE',
  'ILIKE',
  'NOT ILIKE',
  '~',
  '~*',
  '!~',
  '!~*',
  'SIMILAR TO',
  '@>',
  '<@',
  '?',
  '?|',
  '?&',
  '&&',
  '@@',
  '@?',
  '@@@',
  'IS TRUE',
  'IS FALSE',
] as const;
export type PredicateOp = (typeof PREDICATE_OPS)[number];

/** The other side of a predicate. */
export type ValueRef =
  | { kind: 'const'; value: string | number | boolean | null; type?: string }
  | { kind: 'param'; index: number; type?: string }
  | { kind: 'list'; items: ValueRef[] }
  | { kind: 'column'; table: string | null; column: string }
  | { kind: 'subquery' }
  /** An expression without column references (`now()`, `lower($1)`): constant for one execution. */
  | { kind: 'expr'; text: string; params: number[] }
  /** An expression that references columns (not sargable as a constant). */
  | { kind: 'other'; text: string };

/** A table a statement touches. */
export interface RelationRef {
  /** Table name as written (without schema). */
  name: string;
  schema: string | null;
  /** Aliases used for it in the statement. */
  aliases: string[];
  /** Read, written (INSERT/UPDATE/DELETE target), or both. */
  access: 'read' | 'write' | 'read-write';
}

/** A filter on one table. */
export interface Predicate {
  /** Resolved table (name as written) or null when ambiguous without a catalog. */
  table: string | null;
  schema: string | null;
  /** The column filtered (inside the function when function-wrapped). */
  column: string | null;
  /** The indexed expression when the column is wrapped: `lower(email)`, `to_tsvector('english', body)`. */
  expression: string | null;
  /** Outermost function of the expression (`lower`, `to_tsvector`, `date_trunc`), or null. */
  functionName: string | null;
  op: PredicateOp;
  value: ValueRef;
  /** BETWEEN's upper bound. */
  upper?: ValueRef;
  /** Under an OR (a single-column index serves it only with a BitmapOr). */
  inOr: boolean;
  /** Under NOT. */
  negated: boolean;
  /** 0-based character offset in the statement text. */
  location: number;
}

/** An equality join between two tables' columns. */
export interface JoinKey {
  left: { table: string | null; column: string };
  right: { table: string | null; column: string };
  /** INNER, LEFT, RIGHT, FULL, or comma/WHERE join (INNER). */
  type: 'INNER' | 'LEFT' | 'RIGHT' | 'FULL' | 'CROSS';
}

/** A column or expression with its table. */
export interface ColumnUse {
  table: string | null;
  column: string | null;
  expression: string | null;
}

/** ORDER BY item. */
export interface OrderKey extends ColumnUse {
  descending: boolean;
  /** Explicit NULLS FIRST/LAST, or null for the default. */
  nullsFirst: boolean | null;
}

/** What a statement writes. */
export interface WriteTarget {
  kind: 'insert' | 'update' | 'delete';
  table: string;
  schema: string | null;
  /** INSERT column list or UPDATE SET columns. */
  columns: string[];
  /** INSERT ... ON CONFLICT. */
  onConflict: boolean;
  /** UPDATE/DELETE without WHERE. */
  unfiltered: boolean;
}

/** The extracted model of one statement (subqueries and CTEs flattened in, with their own scopes resolved). */
export interface ExtractedStatement {
  kind: 'select' | 'insert' | 'update' | 'delete' | 'utility';
  /** Real tables touched (CTE names and subquery aliases resolved away). */
  relations: RelationRef[];
  predicates: Predicate[];
  joins: JoinKey[];
  groupBy: ColumnUse[];
  orderBy: OrderKey[];
  limit: ValueRef | null;
  offset: ValueRef | null;
  /** Selected columns of the outermost SELECT (or RETURNING); `star` for `*` / `t.*`. */
  selected: (ColumnUse & { star: boolean })[];
  write: WriteTarget | null;
  distinct: boolean;
  /** Has aggregates in the outer select list. */
  aggregates: string[];
  /** CTE names defined. */
  ctes: string[];
  /** Correlated or uncorrelated subqueries present. */
  subqueries: number;
}
