import { type AstNode, ByteIndex, fingerprintSql, normalizeSql, parseRaw, scanSql } from '../sql/parser.js';

/**
 * Statement text → fingerprint, fast. The parser costs ~40 µs per call and a production log holds millions of
 * statements, but only a few hundred shapes: a cheap JavaScript lexer erases what the fingerprint ignores
 * anyway (literal values, comments, the amount of whitespace) to get a *shape key*, and the parser runs once per
 * key. Statements that differ only in constants or in a trace-id comment share a key, so a 1 GB log needs a few
 * thousand parser calls instead of millions.
 *
 * Soundness: the key keeps every character of the statement except literal contents, comments and runs of
 * whitespace (one space is kept where there was any), all of which libpg-query's fingerprint ignores, so two
 * texts with the same key have the same fingerprint. Whenever the lexer is unsure (an unterminated quote, a
 * number glued to letters, PostgreSQL 16's `0x`/`1_000` literals) it gives up and the text is parsed uncached.
 */

/** Why a recognised statement is left out of a workload. */
export const EXCLUSION_REASONS = ['session-control', 'utility', 'system-catalog', 'no-relation'] as const;
/** A reason from {@link EXCLUSION_REASONS}. */
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];

/** One statement of a (possibly multi-statement) text. */
export interface ShapePart {
  fingerprint: string;
  /** Normalized text ($n placeholders, comments removed). */
  query: string;
  /** Statement node type, e.g. `SelectStmt`. */
  kind: string;
  /** Why it is left out of a workload, or null when it counts. */
  exclusion: ExclusionReason | null;
}

/** What a statement text is: its statements, or why it could not be parsed. */
export type Shape = { ok: true; parts: readonly ShapePart[] } | { ok: false; message: string };

enum C {
  TAB = 9,
  LF = 10,
  FF = 12,
  CR = 13,
  SPACE = 32,
  DQUOTE = 34,
  DOLLAR = 36,
  QUOTE = 39,
  STAR = 42,
  MINUS = 45,
  DOT = 46,
  SLASH = 47,
  D0 = 48,
  D9 = 57,
  UA = 65,
  UE = 69,
  UZ = 90,
  BACKSLASH = 92,
  UNDERSCORE = 95,
  LA = 97,
  LE = 101,
  LZ = 122,
}

function isIdentStart(c: number): boolean {
  return (c >= C.LA && c <= C.LZ) || (c >= C.UA && c <= C.UZ) || c === C.UNDERSCORE || c >= 0x80;
}

function isIdentChar(c: number): boolean {
  return isIdentStart(c) || (c >= C.D0 && c <= C.D9) || c === C.DOLLAR;
}

function isDigit(c: number): boolean {
  return c >= C.D0 && c <= C.D9;
}

/**
 * The shape key of a statement text, or null when the lexer is not sure (the caller then parses the text
 * itself). Literals become `?`, comments and whitespace runs one space; everything else is kept verbatim.
 */
export function shapeKey(text: string): string | null {
  const n = text.length;
  let out = '';
  let copyFrom = 0; // start of the pending verbatim run
  let space = false; // whitespace or a comment since the last token
  let i = 0;
  // Appends text[copyFrom, end) and a separating space first when one is due.
  const flush = (end: number) => {
    if (end > copyFrom) out += text.slice(copyFrom, end);
  };
  const token = (from: number) => {
    if (space) {
      if (out.length > 0) out += ' ';
      space = false;
    }
    copyFrom = from;
  };
  let inRun = false; // inside a verbatim run started by token()
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === C.SPACE || c === C.LF || c === C.TAB || c === C.CR || c === C.FF) {
      if (inRun) {
        flush(i);
        inRun = false;
      }
      space = true;
      i++;
      continue;
    }
    if (c === C.MINUS && text.charCodeAt(i + 1) === C.MINUS) {
      if (inRun) {
        flush(i);
        inRun = false;
      }
      const end = text.indexOf('\n', i);
      i = end === -1 ? n : end;
      space = true;
      continue;
    }
    if (c === C.SLASH && text.charCodeAt(i + 1) === C.STAR) {
      if (inRun) {
        flush(i);
        inRun = false;
      }
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        const d = text.charCodeAt(j);
        if (d === C.SLASH && text.charCodeAt(j + 1) === C.STAR) {
          depth++;
          j += 2;
        } else if (d === C.STAR && text.charCodeAt(j + 1) === C.SLASH) {
          depth--;
          j += 2;
        } else j++;
      }
      if (depth > 0) return null;
      i = j;
      space = true;
      continue;
    }
    if (c === C.QUOTE) {
      // An E'…' string takes backslash escapes: the E is the character just before, not part of a word.
      const p = i > 0 ? text.charCodeAt(i - 1) : 0;
      const escapes = (p === C.UE || p === C.LE) && !(i > 1 && isIdentChar(text.charCodeAt(i - 2)));
      let j = i + 1;
      for (;;) {
        if (j >= n) return null;
        const d = text.charCodeAt(j);
        if (escapes && d === C.BACKSLASH) j += 2;
        else if (d === C.QUOTE) {
          if (text.charCodeAt(j + 1) === C.QUOTE) j += 2;
          else break;
        } else j++;
      }
      if (inRun) flush(i);
      else token(i);
      out += '?';
      inRun = false;
      i = j + 1;
      continue;
    }
    if (c === C.DQUOTE) {
      let j = i + 1;
      for (;;) {
        if (j >= n) return null;
        if (text.charCodeAt(j) === C.DQUOTE) {
          if (text.charCodeAt(j + 1) === C.DQUOTE) j += 2;
          else break;
        } else j++;
      }
      if (!inRun) {
        token(i);
        inRun = true;
      }
      i = j + 1;
      continue;
    }
    if (c === C.DOLLAR) {
      const d = text.charCodeAt(i + 1);
      if (isDigit(d)) {
        // $n parameter: kept verbatim.
        if (!inRun) {
          token(i);
          inRun = true;
        }
        i += 2;
        while (i < n && isDigit(text.charCodeAt(i))) i++;
        continue;
      }
      if (d === C.DOLLAR || isIdentStart(d)) {
        let j = i + 1;
        while (j < n && isIdentChar(text.charCodeAt(j)) && text.charCodeAt(j) !== C.DOLLAR) j++;
        if (text.charCodeAt(j) === C.DOLLAR) {
          const tag = text.slice(i, j + 1);
          const close = text.indexOf(tag, j + 1);
          if (close === -1) return null;
          if (inRun) flush(i);
          else token(i);
          out += '?';
          inRun = false;
          i = close + tag.length;
          continue;
        }
        return null; // `$word` without a closing `$`: not something the lexer is sure about
      }
    }
    if (isIdentStart(c)) {
      if (!inRun) {
        token(i);
        inRun = true;
      }
      i++;
      while (i < n && isIdentChar(text.charCodeAt(i))) i++;
      continue;
    }
    if (isDigit(c) || (c === C.DOT && isDigit(text.charCodeAt(i + 1)))) {
      let j = i;
      while (j < n && isDigit(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) === C.DOT && text.charCodeAt(j + 1) !== C.DOT) {
        j++;
        while (j < n && isDigit(text.charCodeAt(j))) j++;
      }
      const e = text.charCodeAt(j);
      if (e === C.LE || e === C.UE) {
        let k = j + 1;
        const s = text.charCodeAt(k);
        if (s === 43 /* + */ || s === C.MINUS) k++;
        if (!isDigit(text.charCodeAt(k))) return null;
        while (k < n && isDigit(text.charCodeAt(k))) k++;
        j = k;
      }
      const after = text.charCodeAt(j);
      if (j < n && (isIdentChar(after) || (after === C.DOT && text.charCodeAt(j + 1) !== C.DOT))) return null;
      if (c === C.DOT && i > 0) {
        const before = text.charCodeAt(i - 1);
        if (isIdentChar(before) || before === C.DQUOTE || before === 41 /* ) */) return null;
      }
      if (inRun) flush(i);
      else token(i);
      out += '?';
      inRun = false;
      i = j;
      continue;
    }
    // Operators and punctuation: verbatim.
    if (!inRun) {
      token(i);
      inRun = true;
    }
    i++;
  }
  if (inRun) flush(n);
  return out;
}

const SESSION_CONTROL = new Set([
  'TransactionStmt',
  'VariableSetStmt',
  'VariableShowStmt',
  'DiscardStmt',
  'DeallocateStmt',
]);

/**
 * Statement kinds that are workload: reads and writes (and CALL, cursors and COPY, which run them). DDL, GRANT,
 * VACUUM, EXPLAIN and the like are not, and with `pg_stat_statements.track = all` every CREATE EXTENSION adds
 * hundreds of them.
 */
const WORKLOAD_KINDS = new Set([
  'SelectStmt',
  'InsertStmt',
  'UpdateStmt',
  'DeleteStmt',
  'MergeStmt',
  'CallStmt',
  'DeclareCursorStmt',
  'CopyStmt',
]);

const SYSTEM_SCHEMAS = new Set(['pg_catalog', 'information_schema', 'pg_toast']);

/** Functions of a health check or a tool's session set-up: a relation-less call to only these is not workload. */
const BUILTIN_FUNCTIONS = new Set([
  'current_setting',
  'set_config',
  'version',
  'current_database',
  'current_schema',
  'current_schemas',
  'current_user',
  'session_user',
  'now',
  'clock_timestamp',
  'statement_timestamp',
  'transaction_timestamp',
  'timeofday',
  'txid_current',
  'inet_server_addr',
  'inet_server_port',
  'has_table_privilege',
  'has_schema_privilege',
  'has_database_privilege',
  'to_regclass',
  'format_type',
  'obj_description',
  'col_description',
]);

function isSystemRelation(schema: string | undefined, name: string): boolean {
  if (schema !== undefined) return SYSTEM_SCHEMAS.has(schema) || name.startsWith('pg_stat_statements');
  return name.startsWith('pg_') || name === 'information_schema';
}

/** Relations and function names a statement references (a light walk; the SQL layer's extractor does more). */
function references(ast: AstNode): { relations: { schema: string | undefined; name: string }[]; functions: string[] } {
  const relations: { schema: string | undefined; name: string }[] = [];
  const functions: string[] = [];
  const cteNames = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const x of node) walk(x);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const o = node as AstNode;
    if (o.RangeVar) {
      relations.push({ schema: o.RangeVar.schemaname, name: o.RangeVar.relname });
    }
    if (o.CommonTableExpr?.ctename) cteNames.add(o.CommonTableExpr.ctename);
    if (o.FuncCall) {
      const parts = (o.FuncCall.funcname ?? []) as AstNode[];
      const last = parts[parts.length - 1]?.String?.sval;
      if (typeof last === 'string') functions.push(last);
    }
    for (const k in o) walk(o[k]);
  };
  walk(ast);
  // A CTE's name read in FROM is not a table: `WITH idx AS (SELECT … FROM pg_index) SELECT … FROM idx` reads
  // only the catalog.
  return { relations: relations.filter((r) => r.schema !== undefined || !cteNames.has(r.name)), functions };
}

/**
 * Why a statement is not workload, or null when it is: transaction control and session settings (dbsage's own
 * `BEGIN READ ONLY; SET LOCAL …` included), other utility statements (DDL, GRANT, VACUUM…), statements that read
 * only system catalogs, and relation-less calls that only use built-in functions (`SELECT 1` pings,
 * `SELECT current_setting(…)`).
 */
export function exclusionReason(ast: AstNode): ExclusionReason | null {
  const kind = Object.keys(ast)[0] ?? '';
  if (SESSION_CONTROL.has(kind)) return 'session-control';
  if (!WORKLOAD_KINDS.has(kind)) return 'utility';
  const { relations, functions } = references(ast);
  if (relations.length > 0) {
    return relations.every((r) => isSystemRelation(r.schema, r.name)) ? 'system-catalog' : null;
  }
  if (kind !== 'SelectStmt') return null;
  return functions.every((f) => f.startsWith('pg_') || BUILTIN_FUNCTIONS.has(f)) ? 'no-relation' : null;
}

/** Removes comments from normalized text (a trace id in a comment must not become part of the shape's text). */
export function stripComments(sql: string): string {
  if (!sql.includes('--') && !sql.includes('/*')) return sql;
  let tokens: ReturnType<typeof scanSql>;
  try {
    tokens = scanSql(sql);
  } catch {
    return sql;
  }
  const bytes = new ByteIndex(sql);
  let out = '';
  let last = 0;
  for (const t of tokens) {
    if (t.tokenName === 'SQL_COMMENT' || t.tokenName === 'C_COMMENT') {
      const from = bytes.toIndex(t.start);
      out += sql.slice(last, from);
      last = bytes.toIndex(t.end);
    }
  }
  out += sql.slice(last);
  return out.replace(/[ \t]+\n/g, '\n').trim();
}

/** Parses a text into its statements' shapes (uncached). */
export function computeShape(text: string): Shape {
  const parsed = parseRaw(text);
  if (!parsed.ok) return { ok: false, message: parsed.failure.message };
  if (parsed.stmts.length === 0) return { ok: false, message: 'no statement' };
  const one = parsed.stmts.length === 1;
  const bytes = one ? null : new ByteIndex(text);
  const parts: ShapePart[] = [];
  for (const s of parsed.stmts) {
    const piece = one ? text : sliceStatement(text, bytes!, s);
    parts.push({
      fingerprint: fingerprintSql(piece),
      query: stripComments(normalizeSql(piece)),
      kind: Object.keys(s.stmt)[0] ?? 'Unknown',
      exclusion: exclusionReason(s.stmt),
    });
  }
  return { ok: true, parts };
}

function sliceStatement(text: string, bytes: ByteIndex, s: { stmt_location?: number; stmt_len?: number }): string {
  const from = bytes.toIndex(s.stmt_location ?? 0);
  const to = s.stmt_len ? bytes.toIndex((s.stmt_location ?? 0) + s.stmt_len) : text.length;
  return text.slice(from, to).trim();
}

/** The statements of a multi-statement text, as text (for examples; the shape says how many there are). */
export function splitStatementTexts(text: string): string[] {
  const parsed = parseRaw(text);
  if (!parsed.ok) return [text];
  const bytes = new ByteIndex(text);
  return parsed.stmts.map((s) => sliceStatement(text, bytes, s));
}

/** Default bound of the shape cache: far more shapes than a real application has, far less memory than a log. */
export const DEFAULT_SHAPE_CACHE_ENTRIES = 50_000;

/**
 * Memoises {@link computeShape} by shape key. Bounded: when full it starts over, which only costs parser calls
 * (a workload with more distinct shapes than the bound is generated SQL, and is still read correctly).
 */
export class ShapeCache {
  readonly #map = new Map<string, Shape>();
  readonly #maxEntries: number;
  /** Parser runs (cache misses and uncacheable texts), for benchmarks. */
  parses = 0;

  constructor(maxEntries = DEFAULT_SHAPE_CACHE_ENTRIES) {
    this.#maxEntries = maxEntries;
  }

  /** The shape of a statement text. */
  shapeOf(text: string): Shape {
    const key = shapeKey(text);
    if (key !== null) {
      const hit = this.#map.get(key);
      if (hit) return hit;
    }
    this.parses++;
    const shape = computeShape(text);
    if (key !== null) {
      if (this.#map.size >= this.#maxEntries) this.#map.clear();
      this.#map.set(key, shape);
    }
    return shape;
  }
}
