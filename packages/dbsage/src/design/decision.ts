/**
 * One design decision and what it rests on. The rationale is a list of these, one line each, so a reviewer can
 * trace every type, constraint and index back to an access pattern, a relationship or a named rule.
 */
export interface Decision {
  /** What the decision is about: `users.email`, `orders`, `orders_user_id_status_created_at_idx`. */
  subject: string;
  /** What was decided, e.g. `text + CHECK (email format)`. */
  decision: string;
  /** Why: the rule or the access pattern. */
  because: string;
  /**
   * What the decision rests on: `pattern:<name>`, `relationship:<from>-<to>`, `rule:<id>` (a design rule such as
   * `rule:text-over-varchar`), or `model` when the model states it explicitly.
   */
  basis: string;
  /** Target engine. */
  target: 'postgres' | 'mongo';
}

/** Formats a decision as one markdown list line. */
export function decisionLine(d: Decision): string {
  return `- **${d.subject}**: ${d.decision} — ${d.because} (${d.basis})`;
}
