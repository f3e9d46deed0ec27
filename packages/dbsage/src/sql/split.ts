import { SqlSyntaxError } from '../errors.js';
import type { TextRange } from './chunks.js';
import { type AstNode, ByteIndex, codePointToIndex, parseRaw, scanSql } from './parser.js';

/** One statement of a SQL file, with its position and the comments just before it. */
export interface SqlStatement {
  /** 0-based ordinal in the file. */
  index: number;
  /** Statement text without the trailing semicolon. */
  text: string;
  /** Raw statement node, e.g. `{ CreateStmt: {...} }`. */
  ast: AstNode;
  /** Node type, e.g. `CreateStmt`. */
  kind: string;
  /** String index of the first token in the source. */
  offset: number;
  /** 1-based position of the first token. */
  line: number;
  column: number;
  /** Comments between the previous statement and this one (`-- weight: 5`, `-- dbsage-ignore …`). */
  leadingComments: string[];
  /**
   * UTF-8 byte offset in the source that the AST's node locations count from: 0 when the source was parsed
   * whole, the chunk's start when it was parsed in chunks; absent after error recovery, where each piece was
   * parsed alone (a caller that needs node locations then re-parses {@link text}).
   */
  byteBase?: number;
}

/** The statements of a file and the syntax errors found in it (other statements are still returned). */
export interface SplitResult {
  statements: SqlStatement[];
  errors: SqlSyntaxError[];
}

/** Precomputed line starts: position lookups in O(log n), so a 10k-statement migration stays linear. */
export class LineIndex {
  readonly #starts: number[] = [0];
  readonly #text: string;

  constructor(text: string) {
    this.#text = text;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.#starts.push(i + 1);
  }

  /** 1-based line and column (in code points) of a string index. */
  position(index: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    const start = this.#starts[lo]!;
    let column = 1;
    for (let i = start; i < index; i++) {
      const c = this.#text.charCodeAt(i);
      if (c < 0xdc00 || c > 0xdfff) column++; // low surrogates do not start a code point
    }
    return { line: lo + 1, column };
  }
}

/** Skips whitespace and comments from `from`; returns the index of the first token and the comments seen. */
export function skipTrivia(text: string, from: number, to = text.length): { index: number; comments: string[] } {
  const comments: string[] = [];
  let i = from;
  while (i < to) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      i++;
    } else if (c === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      const stop = end === -1 || end > to ? to : end;
      comments.push(text.slice(i, stop));
      i = stop;
    } else if (c === '/' && text[i + 1] === '*') {
      let depth = 1;
      let j = i + 2;
      while (j < to && depth > 0) {
        if (text[j] === '/' && text[j + 1] === '*') {
          depth++;
          j += 2;
        } else if (text[j] === '*' && text[j + 1] === '/') {
          depth--;
          j += 2;
        } else j++;
      }
      comments.push(text.slice(i, j));
      i = j;
    } else break;
  }
  return { index: i, comments };
}

function statementKind(ast: AstNode): string {
  return Object.keys(ast)[0] ?? 'Unknown';
}

/**
 * Splits a SQL file into statements with exact `line:column` positions. Parser locations are UTF-8 byte
 * offsets and are mapped to string indices. When the file does not parse as a whole, it is split on top-level
 * semicolons with the PostgreSQL scanner (which understands quotes, dollar quotes and comments), each piece is
 * parsed alone, and every syntax error is reported with its own position while the rest are still returned.
 */
export function splitSql(source: string, file = '<sql>'): SplitResult {
  return splitSqlRange(source, { start: 0, end: source.length }, { file, lines: new LineIndex(source) });
}

/** Where a range of a source sits: for {@link splitSqlRange} and {@link statementsOfParse}. */
export interface RangeContext {
  file: string;
  /** Line index of the whole source. */
  lines: LineIndex;
  /** Ordinal of the range's first statement in the file (default 0). */
  firstIndex?: number;
  /** UTF-8 byte offset of the range's start in the source (default: computed). */
  byteBase?: number;
}

/** {@link splitSql} for `source.slice(range.start, range.end)`, with positions in the whole source. */
export function splitSqlRange(source: string, range: TextRange, context: RangeContext): SplitResult {
  const { file, lines } = context;
  const firstIndex = context.firstIndex ?? 0;
  const text = range.start === 0 && range.end === source.length ? source : source.slice(range.start, range.end);
  const whole = parseRaw(text);
  if (whole.ok) {
    const byteBase = context.byteBase ?? Buffer.byteLength(source.slice(0, range.start), 'utf8');
    return { statements: statementsOfParse(text, range.start, whole.stmts, lines, firstIndex, byteBase), errors: [] };
  }
  // Recovery path: split with the scanner, parse each piece.
  const bytes = new ByteIndex(text);
  const pieces: { start: number; end: number }[] = [];
  let start = 0;
  let tokens: { start: number; end: number; tokenName: string }[];
  try {
    tokens = scanSql(text);
  } catch {
    tokens = [];
  }
  for (const t of tokens) {
    if (t.tokenName === 'ASCII_59') {
      const end = bytes.toIndex(t.start);
      pieces.push({ start, end });
      start = bytes.toIndex(t.end);
    }
  }
  pieces.push({ start, end: text.length });
  const statements: SqlStatement[] = [];
  const errors: SqlSyntaxError[] = [];
  for (const piece of pieces) {
    const pieceText = text.slice(piece.start, piece.end);
    if (skipTrivia(pieceText, 0).index >= pieceText.length) continue;
    const r = parseRaw(pieceText);
    if (r.ok) {
      statements.push(
        ...toStatements(
          pieceText,
          range.start + piece.start,
          range.start + piece.end,
          r.stmts,
          lines,
          firstIndex + statements.length,
        ),
      );
    } else {
      const at = range.start + piece.start + codePointToIndex(pieceText, r.failure.cursor);
      const { line, column } = lines.position(at);
      errors.push(new SqlSyntaxError(file, line, column, r.failure.message));
    }
  }
  return { statements, errors };
}

/**
 * The statements of one successful parse of `text`, which starts at string index `base` and UTF-8 byte
 * `byteBase` of the source (node locations in the ASTs count from `byteBase`).
 */
export function statementsOfParse(
  text: string,
  base: number,
  stmts: { stmt: AstNode; stmt_location?: number; stmt_len?: number }[],
  lines: LineIndex,
  firstIndex: number,
  byteBase: number,
): SqlStatement[] {
  return toStatements(text, base, base + text.length, stmts, lines, firstIndex, byteBase);
}

function toStatements(
  text: string,
  base: number,
  end: number,
  stmts: { stmt: AstNode; stmt_location?: number; stmt_len?: number }[],
  lines: LineIndex,
  firstIndex: number,
  byteBase?: number,
): SqlStatement[] {
  const bytes = new ByteIndex(text);
  const out: SqlStatement[] = [];
  let previousEnd = 0;
  for (const [i, s] of stmts.entries()) {
    const startByte = s.stmt_location ?? 0;
    const from = bytes.toIndex(startByte);
    const to = s.stmt_len ? bytes.toIndex(startByte + s.stmt_len) : end - base;
    // Comments before the statement: from the end of the previous one (the parser skips them).
    const trivia = skipTrivia(text, previousEnd, to);
    const first = Math.max(from, trivia.index);
    previousEnd = to;
    const offset = base + first;
    const { line, column } = lines.position(offset);
    out.push({
      index: firstIndex + i,
      text: text.slice(first, to).replace(/;\s*$/, '').trimEnd(),
      ast: s.stmt,
      kind: statementKind(s.stmt),
      offset,
      line,
      column,
      leadingComments: trivia.comments,
      byteBase,
    });
    // Skip the semicolon that ends this statement.
    if (text[previousEnd] === ';') previousEnd++;
  }
  return out;
}
