import type { SqlSyntaxError } from '../errors.js';
import { type Finding, SEVERITIES, type Severity, severityRank } from '../findings/finding.js';
import { findingFingerprint } from '../findings/fingerprint.js';
import { statementChunks, type TextRange } from '../sql/chunks.js';
import type { WorkerParse } from '../sql/parse-worker.js';
import { ByteIndex, loadParser, parseRaw } from '../sql/parser.js';
import { LineIndex, type SqlStatement, splitSqlRange, statementsOfParse } from '../sql/split.js';
import { stringConst } from './ast.js';
import { lintedText, type ParseAhead, startParse } from './parse-ahead.js';
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

/**
 * Lints sources (loads the parser first). Large inputs are parsed in a worker thread in chunks that end at
 * statement boundaries, overlapping the parse with the lint; the findings are the same as
 * {@link lintSourcesSync}'s. `ahead` is a parse the caller already started with {@link startParse} (the CLI
 * starts it before it loads the linter); it is used for the texts it holds, and the caller closes it.
 */
export async function lintSources(
  sources: readonly LintSource[],
  options: LintOptions = {},
  ahead?: ParseAhead,
): Promise<LintResult> {
  await loadParser();
  if (ahead) return lintSourcesParallel(sources, options, ahead);
  const started = startParse(sources, PRESETS[options.preset ?? 'plain']);
  if (!started) return lintSourcesSync(sources, options);
  try {
    return await lintSourcesParallel(sources, options, started);
  } finally {
    await started.close();
  }
}

/** The statements and syntax errors of one parsed range of a file. */
interface Batch {
  statements: SqlStatement[];
  errors: SqlSyntaxError[];
}

async function lintSourcesParallel(
  sources: readonly LintSource[],
  options: LintOptions,
  ahead: ParseAhead,
): Promise<LintResult> {
  const run = new LintRun(sources, options);
  // Every chunk of every file goes to the worker up front (unless already sent); the worker answers in order.
  const plans = sources.map((source) => ({ source, ...ahead.plan(run.textOf(source)) }));
  for (const plan of plans) {
    const lines = new LineIndex(plan.text);
    const batches = fileBatches(plan.source.file, plan.text, lines, plan.chunks, plan.parses);
    // The transaction mode `per-file-if-multiple` needs to know whether the file has more than one statement.
    const first: Batch[] = [];
    let count = 0;
    let done = false;
    while (count < 2) {
      const next = await batches.next();
      if (next.done) {
        done = true;
        break;
      }
      first.push(next.value);
      count += next.value.statements.length;
    }
    const file = run.beginFile(plan.source, plan.text, count, lines);
    for (const batch of first) file.batch(batch);
    if (!done) for await (const batch of batches) file.batch(batch);
    file.end();
  }
  return run.finish();
}

/**
 * The parsed chunks of one file, in order. A chunk that does not parse (a syntax error, or a cut inside a
 * `BEGIN ATOMIC` body) ends the chunked parse: the rest of the file from that chunk on is split on the main
 * thread exactly as {@link splitSql} splits a file, with error recovery.
 */
async function* fileBatches(
  file: string,
  text: string,
  lines: LineIndex,
  chunks: readonly TextRange[],
  parses: readonly Promise<WorkerParse>[],
): AsyncGenerator<Batch> {
  let byteBase = 0;
  let index = 0;
  for (const [k, chunk] of chunks.entries()) {
    const parsed = await parses[k]!;
    if (!parsed.ok) {
      yield splitSqlRange(text, { start: chunk.start, end: text.length }, { file, lines, firstIndex: index, byteBase });
      return;
    }
    const chunkText = text.slice(chunk.start, chunk.end);
    const stmts = (JSON.parse(parsed.json) as { stmts?: Parameters<typeof statementsOfParse>[2] }).stmts ?? [];
    const statements = statementsOfParse(chunkText, chunk.start, stmts, lines, index, byteBase);
    index += statements.length;
    byteBase += Buffer.byteLength(chunkText, 'utf8');
    yield { statements, errors: [] };
  }
}

/**
 * Chunk size (characters) of {@link lintSourcesSync}: a file of at least three chunks is parsed and linted
 * chunk by chunk (statement-aligned) instead of parsed whole, so only one chunk's parse tree is alive at a
 * time: the garbage collector has a small live set to copy and the parser's WebAssembly memory stays small.
 * A 10,000-statement migration spent a third less time in garbage collection.
 */
export const SYNC_CHUNK_CHARS = 32 * 1024;

/** Thrown inside a chunked run when a file has a syntax error: the run starts again, parsing files whole. */
class WholeParseNeeded extends Error {}

/**
 * Lints sources; the parser must already be loaded. `chunkChars` is the size of the chunks large files are
 * parsed in ({@link SYNC_CHUNK_CHARS}; `Infinity` parses every file whole).
 *
 * The findings are those of a whole-file parse. A file with a syntax error is split with error recovery, and
 * that recovery differs from one chunk's (statements with semicolons inside, such as `BEGIN ATOMIC` bodies, are
 * split too), so when a chunked run meets a syntax error it is run again with every file parsed whole. A run
 * on a seeded model (`--db`) is never chunked, since the model it changes cannot be replayed twice.
 */
export function lintSourcesSync(
  sources: readonly LintSource[],
  options: LintOptions = {},
  chunkChars = SYNC_CHUNK_CHARS,
): LintResult {
  if (options.model || !Number.isFinite(chunkChars)) return lintRunSync(sources, options, Number.POSITIVE_INFINITY);
  try {
    return lintRunSync(sources, options, chunkChars);
  } catch (error) {
    if (!(error instanceof WholeParseNeeded)) throw error;
    return lintRunSync(sources, options, Number.POSITIVE_INFINITY);
  }
}

function lintRunSync(sources: readonly LintSource[], options: LintOptions, chunkChars: number): LintResult {
  const run = new LintRun(sources, options);
  for (const source of sources) {
    const text = run.textOf(source);
    const lines = new LineIndex(text);
    if (text.length < 3 * chunkChars) {
      const split = splitSqlRange(text, { start: 0, end: text.length }, { file: source.file, lines, byteBase: 0 });
      const file = run.beginFile(source, text, split.statements.length, lines);
      file.batch(split);
      file.end();
      continue;
    }
    const batches = chunkBatches(text, lines, statementChunks(text, chunkChars));
    // The transaction mode `per-file-if-multiple` needs to know whether the file has more than one statement.
    const first: Batch[] = [];
    let count = 0;
    let next = batches.next();
    while (!next.done && count < 2) {
      first.push(next.value);
      count += next.value.statements.length;
      next = batches.next();
    }
    const file = run.beginFile(source, text, count, lines);
    for (const batch of first) file.batch(batch);
    for (; !next.done; next = batches.next()) file.batch(next.value);
    file.end();
  }
  return run.finish();
}

/**
 * The chunks of one file, parsed on this thread as the linter asks for them. A chunk that does not parse was
 * cut inside a `BEGIN ATOMIC` body, or has a syntax error: the rest of the file is parsed as one piece, and if
 * that fails too the file has a syntax error and the run must parse it whole ({@link WholeParseNeeded}).
 */
function* chunkBatches(text: string, lines: LineIndex, chunks: readonly TextRange[]): Generator<Batch> {
  let byteBase = 0;
  let index = 0;
  for (const chunk of chunks) {
    let piece = text.slice(chunk.start, chunk.end);
    let parsed = parseRaw(piece);
    let last = false;
    if (!parsed.ok) {
      piece = text.slice(chunk.start);
      parsed = parseRaw(piece);
      if (!parsed.ok) throw new WholeParseNeeded();
      last = true;
    }
    const statements = statementsOfParse(piece, chunk.start, parsed.stmts, lines, index, byteBase);
    index += statements.length;
    byteBase += Buffer.byteLength(piece, 'utf8');
    yield { statements, errors: [] };
    if (last) return;
  }
}

/** One file being linted: statements arrive in order, in one batch or many. */
interface FileRun {
  batch(batch: Batch): void;
  end(): void;
}

/**
 * The state of one lint run: files are replayed in order through the schema model, statement rules judge each
 * statement against the model as it was before it, schema rules judge the final model.
 */
class LintRun {
  readonly #sources: readonly LintSource[];
  readonly #options: LintOptions;
  readonly #preset: (typeof PRESETS)[PresetId];
  readonly #mode: TransactionMode;
  readonly #model: SchemaModel;
  readonly #pgMajor: number;
  readonly #rules: Rule[];
  readonly #statementRules: StatementRule[];
  readonly #anyKind: StatementRule[];
  readonly #byKind = new Map<string, StatementRule[]>();
  readonly #small: number;
  readonly #large: number;
  readonly #findings: Finding[] = [];
  readonly #sourceTexts = new Map<string, string>();
  #statementCount = 0;
  #syntaxErrors = 0;
  /** Per file: statement start lines and their ignore sets, for suppressing design findings. */
  readonly #ignoreIndex = new Map<string, { lines: number[]; sets: (IgnoreSet | undefined)[]; file?: IgnoreSet }>();
  #tx: TxState;

  constructor(sources: readonly LintSource[], options: LintOptions) {
    this.#sources = sources;
    this.#options = options;
    this.#preset = PRESETS[options.preset ?? 'plain'];
    this.#mode = options.transaction ?? this.#preset.transaction;
    this.#model = options.model ?? new SchemaModel((options.pgVersion ?? 17) * 10000);
    this.#pgMajor = Math.floor(this.#model.serverVersionNum / 10000);
    this.#rules = selectRules(options);
    this.#statementRules = this.#rules.filter((r): r is StatementRule => r.scope === 'statement');
    this.#anyKind = this.#statementRules.filter((r) => r.kinds.includes('*'));
    this.#small = options.smallTableBytes ?? DEFAULT_SMALL_TABLE_BYTES;
    this.#large = options.largeTableBytes ?? DEFAULT_LARGE_TABLE_BYTES;
    this.#tx = initialTx(this.#mode, 0);
  }

  #rulesFor(kind: string): StatementRule[] {
    let list = this.#byKind.get(kind);
    if (!list) {
      list = [...this.#anyKind, ...this.#statementRules.filter((r) => r.kinds.includes(kind))];
      this.#byKind.set(kind, list);
    }
    return list;
  }

  #toFinding(rule: Rule, r: RuleReport, location: SourcePos | undefined): Finding {
    const override = this.#options.rules?.[rule.id];
    let severity: Severity = override && override !== 'off' ? override : (r.severity ?? rule.severity);
    const evidence = { ...(r.evidence ?? {}) };
    if (rule.lockHazard && !override && r.table?.sizeBytes != null) {
      const size = r.table.sizeBytes;
      if (size < this.#small && severityRank(severity) > severityRank('low')) severity = 'low';
      else if (size >= this.#large) severity = SEVERITIES[Math.min(SEVERITIES.length - 1, severityRank(severity) + 1)]!;
      evidence.rankedBySize = size < this.#small ? 'small table' : size >= this.#large ? 'large table' : 'medium table';
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
  }

  /** The text of a source that is linted (a preset's down-migration section cut off). */
  textOf(source: LintSource): string {
    return lintedText(source.text, this.#preset);
  }

  /** Starts a file; `statementCount` only needs to be exact up to 2 (the transaction modes ask "more than one?"). */
  beginFile(source: LintSource, text: string, statementCount: number, lines: LineIndex): FileRun {
    const model = this.#model;
    const mode = this.#mode;
    const findings = this.#findings;
    this.#sourceTexts.set(source.file, source.text);
    const report = !source.history;
    /** Syntax errors go before the file's other findings, wherever in the file they were found. */
    let errorsAt = findings.length;
    let fileBytes: ByteIndex | undefined;
    const fileIgnore = fileIgnores(text);
    const index = {
      lines: [] as number[],
      sets: [] as (IgnoreSet | undefined)[],
      ...(fileIgnore ? { file: fileIgnore } : {}),
    };
    this.#ignoreIndex.set(source.file, index);
    const fileState = new Map<string, unknown>();
    if (mode !== 'whole-run' || source === this.#sources[0]) this.#tx = initialTx(mode, statementCount, this.#tx);
    const run = this;
    const ctx: StatementContext = {
      model,
      get tx() {
        return run.#tx;
      },
      fileState,
      pgMajor: this.#pgMajor,
      lockTarget(rel) {
        const table = rel ? model.table(rel) : undefined;
        return { table, hazard: !table?.createdInRun };
      },
    };
    const statement = (s: SqlStatement) => {
      this.#statementCount++;
      if (s.byteBase !== undefined) fileBytes ??= new ByteIndex(text);
      const { ast, locate } = locator(s, lines, fileBytes, source.file);
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
        for (const rule of this.#rulesFor(kind)) {
          if (ignores(fileIgnore, rule.id) || ignores(ignoreSet, rule.id)) continue;
          for (const r of rule.check(stmt, ctx)) {
            findings.push(this.#toFinding(rule, r, r.pos ?? locate(r.at)));
          }
        }
      }
      this.#tx = nextTx(this.#tx, stmt, mode);
      applyStatement(model, ast, { locate, inRun: report, linted: report });
    };
    return {
      batch: (batch) => {
        if (report && batch.errors.length > 0) {
          const errorFindings = batch.errors.map((e): Finding => {
            this.#syntaxErrors++;
            return {
              ruleId: SYNTAX_ERROR_RULE,
              category: 'syntax',
              severity: 'high',
              title: `syntax error: ${e.parserMessage}`,
              summary: 'The file does not parse, so this statement was not linted; the other statements were.',
              evidence: { parserMessage: e.parserMessage },
              location: { file: e.file, line: e.line, column: e.column },
              fingerprint: findingFingerprint(SYNTAX_ERROR_RULE, e.file, String(e.line), e.parserMessage),
            };
          });
          findings.splice(errorsAt, 0, ...errorFindings);
          errorsAt += errorFindings.length;
        }
        for (const s of batch.statements) statement(s);
      },
      end: () => {
        if (!report) return;
        for (const rule of this.#statementRules) {
          if (!rule.endFile || ignores(fileIgnore, rule.id)) continue;
          for (const r of rule.endFile(source.file, ctx)) {
            if (r.pos && ignores(ignoreAt(index, r.pos.line), rule.id)) continue;
            findings.push(this.#toFinding(rule, r, r.pos));
          }
        }
      },
    };
  }

  /** Runs the schema (design) rules on the final model and returns the result. */
  finish(): LintResult {
    const model = this.#model;
    const findings = this.#findings;
    // Design rules judge the final model: tables the linted files touched, or every table when only a
    // database is linted.
    const linted = this.#sources.some((s) => !s.history);
    const tables = [...model.tables()].filter((t) => (linted ? t.touched : true));
    for (const rule of this.#rules.filter((r): r is SchemaRule => r.scope === 'schema')) {
      for (const r of rule.check({ model, tables, pgMajor: this.#pgMajor })) {
        const pos = r.pos;
        if (pos) {
          const idx = this.#ignoreIndex.get(pos.file);
          if (idx && (ignores(idx.file, rule.id) || ignores(ignoreAt(idx, pos.line), rule.id))) continue;
        }
        const finding = this.#toFinding(rule, r, pos);
        if (!pos) finding.location = { object: r.object };
        findings.push(finding);
      }
    }
    return {
      findings,
      files: this.#sources.length,
      statements: this.#statementCount,
      syntaxErrors: this.#syntaxErrors,
      model,
      rules: this.#rules,
      sources: this.#sourceTexts,
    };
  }
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
 * Maps node locations to file positions. When the statement's range parsed whole, node locations are byte
 * offsets from the range's start (`byteBase`); after error recovery they are relative to each piece, so the
 * statement is re-parsed alone and its locations are offset by the statement's start.
 */
function locator(
  s: SqlStatement,
  lines: LineIndex,
  fileBytes: ByteIndex | undefined,
  file: string,
): { ast: SqlStatement['ast']; locate: Locate } {
  const fallback = { file, line: s.line, column: s.column };
  if (fileBytes && s.byteBase !== undefined) {
    const base = s.byteBase;
    return {
      ast: s.ast,
      locate: (loc) => (loc === undefined ? fallback : { file, ...lines.position(fileBytes.toIndex(base + loc)) }),
    };
  }
  const reparsed = parseRaw(s.text);
  const ast = reparsed.ok && reparsed.stmts[0] ? reparsed.stmts[0].stmt : s.ast;
  const bytes = new ByteIndex(s.text);
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
