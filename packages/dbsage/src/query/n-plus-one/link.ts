/**
 * How a repeated child statement relates to its parent statement: which column of the child is filtered with the
 * per-iteration parameter, and which output column of the parent supplies it.
 */
export interface NPlusOneLink {
  /**
   * `one-to-many`: the child filters a foreign key that references the parent's key (users → their teams).
   * `to-one`: the child filters its own unique key that the parent row references (orders → their user).
   */
  kind: 'one-to-many' | 'to-one';
  /** The child's table and the column it filters per iteration. */
  childTable: string;
  childSchema: string | null;
  childColumn: string;
  /** The parent statement's output column that holds the value the child was given. */
  parentColumn: string;
  /** The parent table that column comes from. */
  parentTable: string;
  /** The link column cannot be NULL and the child always matches (to-one with NOT NULL FK): an inner JOIN keeps every parent. */
  alwaysMatches: boolean;
  /** How the link was established: a foreign key in the catalog, parameter values seen in parent rows, or names. */
  evidence: 'foreign-key' | 'values' | 'naming';
  /** The foreign key constraint, when known. */
  constraint: string | null;
}
