import { findTable } from '../../catalog/lookup.js';
import type { Catalog, Table } from '../../catalog/types.js';
import type { Severity } from '../../findings/finding.js';
import type { ExtractedStatement } from '../../sql/extract-types.js';
import type { AstNode } from '../../sql/parser.js';

/** One statement to check, from a file or from the workload. */
export interface StatementUnderCheck {
  /** Statement text (normalised `$n` text for workload statements). */
  text: string;
  /** Raw statement node (`{ SelectStmt: … }`). */
  ast: AstNode;
  model: ExtractedStatement;
  /** Where it is written, for file input. */
  location?: { file: string; line: number; column: number };
  /** Workload figures, when the statement came from pg_stat_statements, a log or a replay. */
  workload?: { fingerprint: string; calls: number; rowsPerCall: number; meanMillis: number; totalMillis: number };
}

/** What every anti-pattern rule may use besides the statement. */
export interface AntiPatternContext {
  /** The live catalog, when there is a database: lets rules check indexes and NOT NULL. */
  catalog?: Catalog;
  /** Calls from which a workload statement is on a hot path. */
  hotCalls: number;
  /** Rows per call from which a list without LIMIT is reported (workload statements). */
  unboundedRows: number;
}

/** One problem found by a rule. */
export interface AntiPatternHit {
  severity: Severity;
  title: string;
  summary: string;
  evidence: Record<string, unknown>;
  fix: { sql?: string; steps: string[] };
  /** Identity of what was found inside the statement (column, table) for the fingerprint. */
  identity: string;
}

/** A SQL anti-pattern rule: a stable id, a one-line description, a check over one statement. */
export interface AntiPatternRule {
  readonly id: string;
  readonly description: string;
  check(statement: StatementUnderCheck, ctx: AntiPatternContext): AntiPatternHit[];
}

/** Visits every object node of an AST (depth first). */
export function walkAst(
  node: unknown,
  visit: (o: AstNode, parentKey: string | null) => void,
  key: string | null = null,
): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) walkAst(n, visit, key);
    return;
  }
  visit(node as AstNode, key);
  for (const [k, v] of Object.entries(node as AstNode)) walkAst(v, visit, k);
}

/** Every SelectStmt body in a statement (outer, subqueries, CTEs), outermost first. */
export function selectBodies(ast: AstNode): AstNode[] {
  const out: AstNode[] = [];
  walkAst(ast, (o) => {
    if (o.SelectStmt) out.push(o.SelectStmt);
  });
  return out;
}

/** `ColumnRef` parts: `['u', 'email']`. */
export function columnRefParts(node: AstNode | undefined): string[] | null {
  const fields = node?.ColumnRef?.fields as AstNode[] | undefined;
  if (!fields) return null;
  return fields.map((f) => (f.A_Star ? '*' : ((f.String?.sval as string | undefined) ?? '?')));
}

/** Finds a table of the catalog by the name written in a statement. */
export function tableOf(
  catalog: Catalog | undefined,
  name: string | null,
  schema: string | null = null,
): Table | undefined {
  if (!catalog || !name) return undefined;
  return schema === null ? findTable(catalog, name) : findTable(catalog, name, schema);
}

/** Hot-path test for a workload statement; file statements count as hot (they are what the app runs). */
export function isHot(s: StatementUnderCheck, ctx: AntiPatternContext): boolean {
  return !s.workload || s.workload.calls >= ctx.hotCalls;
}
