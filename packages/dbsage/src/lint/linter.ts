import { type Finding, SEVERITIES, type Severity, severityRank } from '../findings/finding.js';
import { findingFingerprint } from '../findings/fingerprint.js';
import { ByteIndex, loadParser, parseRaw } from '../sql/parser.js';
import { LineIndex, type SqlStatement, splitSql } from '../sql/split.js';
import { stringConst } from './ast.js';
import { PRESETS, type PresetId, type TransactionMode } from './presets.js';
import { applyStatement, type Locate } from './replay.js';
import type {
  LintStatement,
  Profile,
  Rule,
  RuleReport,
  SchemaRule,
  StatementContext,
  StatementRule,
  TxState,
} from './rule.js';
import { ALL_RULES } from './rule-set.js';
import { type ModelTable, SchemaModel, type SourcePos } from './schema-model.js';
import { fileIgnores, type IgnoreSet, ignores, statementIgnores } from './suppress.js';

/**
 * The lint engine: replays files in migration order through the schema model, runs statement rules against
 * the model as it was before each statement, then schema (design) rules against the final model. Everything
 * is in memory and linear in the number of statements.
 */

/** One file to lint. */
export interface LintSource {
  /** Display path, used in findings. */
  file: string;
  text: string;
  /** Replayed to build the model but not reported on (files before `--since`: already deployed). */
  history?: boolean;
}

/** Options of {@link lintSources}. */
export interface LintOptions {
  /** Profiles to run (default all). */
  profiles?: readonly Profile[];
  /** Per-rule `off` or severity override. */
  rules?: Readonly<Record<string, 'off' | Severity>>;
  preset?: PresetId;
  /** Overrides the preset's transaction mode. */
  transaction?: TransactionMode;
  /** Target major version when there is no seeded model (default 17). */
  pgVersion?: number;
  /** A model seeded from the live catalog (`--db`). */
  model?: SchemaModel;
  /** Lock findings on tables smaller than this drop to `low` (default 8 MiB). */
  smallTableBytes?: number;
  /** Lock findings on tables at least this big rise one level (default 1 GiB). */
  largeTableBytes?: number;
}

/** What a lint run produced. */
export interface LintResult {
  findings: Finding[];
  files: number;
  statements: number;
  syntaxErrors: number;
  model: SchemaModel;
  /** Rules that ran. */
  rules: readonly Rule[];
  sources: Map<string, string>;
}

/** Default thresholds for size ranking (documented in docs/rules). */
export const DEFAULT_SMALL_TABLE_BYTES = 8 * 1024 * 1024;
export const DEFAULT_LARGE_TABLE_BYTES = 1024 * 1024 * 1024;

/** Rule id of syntax error findings. */
export const SYNTAX_ERROR_RULE = 'syntax-error';

/** Lints sources (loads the parser first). */
export async function lintSources(sources: readonly LintSource[], options: LintOptions = {}): Promise<LintResult> {
  await loadParser();
  return lintSourcesSync(sources, options);
}

/** The rules a set of options selects. */
export function selectRules(options: Pick<LintOptions, 'profiles' | 'rules'>): Rule[] {
  const profiles = new Set(options.profiles ?? ['safety', 'design', 'style']);
  return ALL_RULES.filter((r) => profiles.has(r.profile) && options.rules?.[r.id] !== 'off');
}

function initialTx(mode: TransactionMode, statements: number, previous?: TxState): TxState {
  const wrapped = mode === 'per-file' || mode === 'whole-run' || (mode === 'per-file-if-multiple' && statements > 1);
  return {
    inTransaction: wrapped,
    explicit: false,
    toolWrapped: wrapped,
    beganAtLine: null,
    lockTimeout: (previous?.lockTimeout ?? false) && !previous?.lockTimeoutLocal,
    lockTimeoutLocal: false,
    statementTimeout: previous?.statementTimeout ?? false,
    notValidInTx: new Set(),
  };
}

/** Lints sources; the parser must already be loaded. */
export function lintSourcesSync(sources: readonly LintSource[], options: LintOptions = {}): LintResult {
  const preset = PRESETS[options.preset ?? 'plain'];
  const mode = options.transaction ?? preset.transaction;
  const model = options.model ?? new SchemaModel((options.pgVersion ?? 17) * 10000);
  const pgMajor = Math.floor(model.serverVersionNum / 10000);
  const rules = selectRules(options);
  const statementRules = rules.filter((r): r is StatementRule => r.scope === 'statement');
  const byKind = new Map<string, StatementRule[]>();
  const anyKind = statementRules.filter((r) => r.kinds.includes('*'));
  const rulesFor = (kind: string): StatementRule[] => {
    let list = byKind.get(kind);
    if (!list) {
      list = [...anyKind, ...statementRules.filter((r) => r.kinds.includes(kind))];
      byKind.set(kind, list);
    }
    return list;
  };
  const small = options.smallTableBytes ?? DEFAULT_SMALL_TABLE_BYTES;
  const large = options.largeTableBytes ?? DEFAULT_LARGE_TABLE_BYTES;
  const findings: Finding[] = [];
  const sourceTexts = new Map<string, string>();
  let statementCount = 0;
  let syntaxErrors = 0;
  /** Per file: statement start lines and their ignore sets, for suppressing design findings. */
  const ignoreIndex = new Map<string, { lines: number[]; sets: (IgnoreSet | undefined)[]; file?: IgnoreSet }>();

  const toFinding = (rule: Rule, r: RuleReport, location: SourcePos | undefined): Finding => {
    const override = options.rules?.[rule.id];
    let severity: Severity = override && override !== 'off' ? override : (r.severity ?? rule.severity);
    const evidence = { ...(r.evidence ?? {}) };
    if (rule.lockHazard && !override && r.table?.sizeBytes != null) {
      const size = r.table.sizeBytes;
      if (size < small && severityRank(severity) > severityRank('low')) severity = 'low';
      else if (size >= large) severity = SEVERITIES[Math.min(SEVERITIES.length - 1, severityRank(severity) + 1)]!;
      evidence.rankedBySize = size < small ? 'small table' : size >= large ? 'large table' : 'medium table';
    }
    return {
      ruleId: rule.id,
      category: rule.category,
      severity,
      title: r.title,
      summary: r.summary,
      evidence,
      ...(r.remediation ? { remediation: r.remediation } : {}),
      ...(location
        ? { location: { file: location.file, line: location.line, column: location.column } }
        : { location: { object: r.object } }),
      fingerprint: findingFingerprint(rule.id, location?.file ?? 'db', r.object),
    };
  };

  let tx = initialTx(mode, 0);
  for (const source of sources) {
    let text = source.text;
    if (preset.downMarker) {
      const m = preset.downMarker.exec(text);
      if (m) text = text.slice(0, m.index);
    }
    sourceTexts.set(source.file, source.text);
    const split = splitSql(text, source.file);
    const lines = new LineIndex(text);
    const report = !source.history;
    if (report) {
      for (const e of split.errors) {
        syntaxErrors++;
        findings.push({
          ruleId: SYNTAX_ERROR_RULE,
          category: 'syntax',
          severity: 'high',
          title: `syntax error: ${e.parserMessage}`,
          summary: 'The file does not parse, so this statement was not linted; the other statements were.',
          evidence: { parserMessage: e.parserMessage },
          location: { file: e.file, line: e.line, column: e.column },
          fingerprint: findingFingerprint(SYNTAX_ERROR_RULE, e.file, String(e.line), e.parserMessage),
        });
      }
    }
    const wholeParse = split.errors.length === 0;
    const fileBytes = wholeParse ? new ByteIndex(text) : undefined;
    const fileIgnore = fileIgnores(text);
    const index = {
      lines: [] as number[],
      sets: [] as (IgnoreSet | undefined)[],
      ...(fileIgnore ? { file: fileIgnore } : {}),
    };
    ignoreIndex.set(source.file, index);
    const fileState = new Map<string, unknown>();
    if (mode !== 'whole-run' || source === sources[0]) tx = initialTx(mode, split.statements.length, tx);
    const ctx: StatementContext = {
      model,
      get tx() {
        return tx;
      },
      fileState,
      pgMajor,
      lockTarget(rel) {
        const table = rel ? model.table(rel) : undefined;
        return { table, hazard: !table?.createdInRun };
      },
    };
    for (const s of split.statements) {
      statementCount++;
      const { ast, locate } = locator(s, text, lines, fileBytes, source.file);
      const kind = s.kind;
      const stmt: LintStatement = {
        file: source.file,
        index: s.index,
        kind,
        node: ast[kind] ?? {},
        text: s.text,
        line: s.line,
        column: s.column,
        locate,
      };
      const ignoreSet = statementIgnores(s.leadingComments);
      index.lines.push(s.line);
      index.sets.push(ignoreSet);
      if (report) {
        for (const rule of rulesFor(kind)) {
          if (ignores(fileIgnore, rule.id) || ignores(ignoreSet, rule.id)) continue;
          for (const r of rule.check(stmt, ctx)) {
            findings.push(toFinding(rule, r, r.pos ?? locate(r.at)));
          }
        }
      }
      tx = nextTx(tx, stmt, mode);
      applyStatement(model, ast, { locate, inRun: report, linted: report });
    }
    if (report) {
      for (const rule of statementRules) {
        if (!rule.endFile || ignores(fileIgnore, rule.id)) continue;
        for (const r of rule.endFile(source.file, ctx)) {
          if (r.pos && ignores(ignoreAt(index, r.pos.line), rule.id)) continue;
          findings.push(toFinding(rule, r, r.pos));
        }
      }
    }
  }

  // Design rules judge the final model: tables the linted files touched, or every table when only a
  // database is linted.
  const linted = sources.some((s) => !s.history);
  const tables = [...model.tables()].filter((t) => (linted ? t.touched : true));
  for (const rule of rules.filter((r): r is SchemaRule => r.scope === 'schema')) {
    for (const r of rule.check({ model, tables, pgMajor })) {
      const pos = r.pos;
      if (pos) {
        const idx = ignoreIndex.get(pos.file);
        if (idx && (ignores(idx.file, rule.id) || ignores(ignoreAt(idx, pos.line), rule.id))) continue;
      }
      const finding = toFinding(rule, r, pos);
      if (!pos) finding.location = { object: r.object };
      findings.push(finding);
    }
  }
  return {
    findings,
    files: sources.length,
    statements: statementCount,
    syntaxErrors,
    model,
    rules,
    sources: sourceTexts,
  };
}

/** The ignore set of the statement that contains `line` (the last statement starting at or before it). */
function ignoreAt(index: { lines: number[]; sets: (IgnoreSet | undefined)[] }, line: number): IgnoreSet | undefined {
  let lo = 0;
  let hi = index.lines.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (index.lines[mid]! <= line) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found >= 0 ? index.sets[found] : undefined;
}

/**
 * Maps node locations to file positions. When the whole file parsed, node locations are byte offsets into
 * the file; after error recovery they are relative to each piece, so the statement is re-parsed alone and its
 * locations are offset by the statement's start.
 */
function locator(
  s: SqlStatement,
  text: string,
  lines: LineIndex,
  fileBytes: ByteIndex | undefined,
  file: string,
): { ast: SqlStatement['ast']; locate: Locate } {
  const fallback = { file, line: s.line, column: s.column };
  if (fileBytes) {
    return {
      ast: s.ast,
      locate: (loc) => (loc === undefined ? fallback : { file, ...lines.position(fileBytes.toIndex(loc)) }),
    };
  }
  const reparsed = parseRaw(s.text);
  const ast = reparsed.ok && reparsed.stmts[0] ? reparsed.stmts[0].stmt : s.ast;
  const bytes = new ByteIndex(s.text);
  void text;
  return {
    ast,
    locate: (loc) => (loc === undefined ? fallback : { file, ...lines.position(s.offset + bytes.toIndex(loc)) }),
  };
}

function timeoutValue(node: SqlStatement['ast']): boolean {
  if (node.kind === 'VAR_RESET' || node.kind === 'VAR_SET_DEFAULT') return false;
  const v = stringConst(node.args?.[0]);
  return v !== undefined && !/^0+(ms|s|min)?$/i.test(v.trim());
}

/** The transaction/session state after a statement. */
function nextTx(tx: TxState, stmt: LintStatement, mode: TransactionMode): TxState {
  const n = stmt.node;
  if (stmt.kind === 'TransactionStmt') {
    const kind = String(n.kind);
    if ((kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START') && !tx.inTransaction) {
      return { ...tx, inTransaction: true, explicit: true, beganAtLine: stmt.line, notValidInTx: new Set() };
    }
    if (kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK' || kind === 'TRANS_STMT_PREPARE') {
      return {
        ...tx,
        inTransaction: false,
        explicit: false,
        beganAtLine: null,
        toolWrapped: mode === 'whole-run' ? tx.toolWrapped : false,
        lockTimeout: tx.lockTimeout && !tx.lockTimeoutLocal,
        lockTimeoutLocal: false,
        notValidInTx: new Set(),
      };
    }
    return tx;
  }
  if (stmt.kind === 'VariableSetStmt' && (n.name === 'lock_timeout' || n.name === 'statement_timeout')) {
    const on = timeoutValue(n);
    if (n.name === 'statement_timeout') return { ...tx, statementTimeout: on };
    return { ...tx, lockTimeout: on, lockTimeoutLocal: Boolean(n.is_local) && on };
  }
  if (stmt.kind === 'AlterTableStmt' && tx.inTransaction) {
    for (const c of (n.cmds ?? []) as SqlStatement['ast'][]) {
      const k = c.AlterTableCmd?.def?.Constraint;
      if (c.AlterTableCmd?.subtype === 'AT_AddConstraint' && k?.skip_validation && k.conname) {
        const schema = n.relation?.schemaname ?? 'public';
        tx.notValidInTx.add(`${schema}.${n.relation?.relname}.${k.conname}`);
      }
    }
  }
  return tx;
}

/** Tables in the model that were created by the run (exported for tests and the benchmark). */
export function createdTables(model: SchemaModel): ModelTable[] {
  return [...model.tables()].filter((t) => t.createdInRun);
}
