import type { Category, Remediation, Severity } from '../findings/finding.js';
import type { AstNode } from '../sql/parser.js';
import type { RelName } from './ast.js';
import type { Locate } from './replay.js';
import type { ModelTable, SchemaModel, SourcePos } from './schema-model.js';

/**
 * The lint rule contract. One rule per file under `rules/`, a stable kebab-case id, a profile, a default
 * severity and a doc page `docs/rules/<id>.md`. Statement rules judge one statement against the model as it
 * was before that statement; schema rules judge the final model (files, live catalog, or both).
 */

/** Rule profiles, selectable with `--profile`. */
export const PROFILES = ['safety', 'design', 'style'] as const;
export type Profile = (typeof PROFILES)[number];

/** Runtime check for a profile name. */
export function isProfile(value: unknown): value is Profile {
  return typeof value === 'string' && (PROFILES as readonly string[]).includes(value);
}

/** One statement as rules see it. */
export interface LintStatement {
  file: string;
  /** 0-based ordinal in the file. */
  index: number;
  /** Node type, e.g. `AlterTableStmt`. */
  kind: string;
  /** The node under the kind key (`ast[kind]`). */
  node: AstNode;
  text: string;
  line: number;
  column: number;
  /** Maps a parser byte location inside this statement to a file position. */
  locate: Locate;
}

/** Transaction and session state at a statement, tracked across the run. */
export interface TxState {
  /** A transaction is open (explicit BEGIN, or the migration tool's wrapper). */
  inTransaction: boolean;
  /** Opened by BEGIN/START TRANSACTION in the file (not the tool). */
  explicit: boolean;
  /** The migration tool wraps this file (or the whole run) in a transaction. */
  toolWrapped: boolean;
  /** Line of the BEGIN that opened the explicit transaction. */
  beganAtLine: number | null;
  /** lock_timeout is set to a non-zero value for the session or the transaction. */
  lockTimeout: boolean;
  /** The lock_timeout came from SET LOCAL and ends with the transaction. */
  lockTimeoutLocal: boolean;
  statementTimeout: boolean;
  /** Constraints added NOT VALID in the current transaction (`schema.table.constraint`). */
  notValidInTx: Set<string>;
}

/** What a statement rule receives besides the statement. */
export interface StatementContext {
  /** The model before this statement is applied. */
  readonly model: SchemaModel;
  readonly tx: Readonly<TxState>;
  /** Per-file scratch space for rules that report once per file (keyed by rule id). */
  readonly fileState: Map<string, unknown>;
  /** PostgreSQL major version the migrations target (from `--db`, the config, or 17). */
  readonly pgMajor: number;
  /**
   * The table a DDL statement locks, and whether locking it is a hazard: a table created earlier in this run is
   * not (nobody else can be using it yet); a table the model has never seen is assumed to exist.
   */
  lockTarget(rel: RelName | undefined): { table: ModelTable | undefined; hazard: boolean };
}

/** What a rule reports; the linter turns it into a Finding with location, fingerprint and size ranking. */
export interface RuleReport {
  title: string;
  summary: string;
  evidence?: Record<string, unknown>;
  remediation?: Remediation;
  /** Parser byte location inside the statement (statement rules); defaults to the statement's start. */
  at?: number;
  /** Explicit position (schema rules on file-defined objects). */
  pos?: SourcePos;
  /** Identity of the object for the fingerprint, e.g. `orders.user_id`. */
  object: string;
  /** The locked table, for size ranking with `--db`. */
  table?: ModelTable;
  /** Overrides the rule's default severity (e.g. a cheaper variant). */
  severity?: Severity;
}

interface RuleBase {
  /** Stable kebab-case id; also the doc page name. */
  readonly id: string;
  readonly profile: Profile;
  readonly category: Category;
  readonly severity: Severity;
  /** One line for `--help`, SARIF rule metadata and docs. */
  readonly description: string;
  /** Reports on locks and rewrites: severity is ranked by table size when the size is known. */
  readonly lockHazard?: boolean;
}

/** A rule that judges statements. */
export interface StatementRule extends RuleBase {
  readonly scope: 'statement';
  /** Statement kinds it looks at (`IndexStmt`, …); `*` for all. */
  readonly kinds: readonly string[];
  check(stmt: LintStatement, ctx: StatementContext): RuleReport[];
  /** Called after the last statement of each file (rules that report once per file). */
  endFile?(file: string, ctx: StatementContext): RuleReport[];
}

/** What a schema rule receives. */
export interface SchemaContext {
  readonly model: SchemaModel;
  /** Tables the rule should judge (touched by linted files, or all when only a database is linted). */
  readonly tables: readonly ModelTable[];
  readonly pgMajor: number;
}

/** A rule that judges the schema model. */
export interface SchemaRule extends RuleBase {
  readonly scope: 'schema';
  check(ctx: SchemaContext): RuleReport[];
}

/** Any lint rule. */
export type Rule = StatementRule | SchemaRule;
