import { createRequire } from 'node:module';
import type * as PgQuery from 'libpg-query';
import { SqlSyntaxError } from '../errors.js';

/**
 * libpg-query is CommonJS: loaded with `require`, not `import`. An ESM import of it makes Node scan the package
 * and its re-exports for named exports first, which took 6-14 ms of every `dbsage lint` start.
 */
const pgQuery = createRequire(import.meta.url)('libpg-query') as typeof PgQuery;

/**
 * The real PostgreSQL parser (libpg-query, WASM). Load once with {@link loadParser}; the sync functions are
 * then fast enough to lint tens of thousands of statements.
 */

let loaded: Promise<void> | undefined;
let ready = false;

/** Loads the WASM parser (idempotent). */
export function loadParser(): Promise<void> {
  loaded ??= pgQuery.loadModule().then(() => {
    ready = true;
  });
  return loaded;
}

function assertReady(): void {
  if (!ready) throw new Error('SQL parser not loaded: await loadParser() first');
}

/** A parse tree node: `{ SelectStmt: {...} }` and so on (libpg-query's JSON AST). */
// biome-ignore lint/suspicious/noExplicitAny: the AST is a large tagged union walked generically
export type AstNode = Record<string, any>;

/** A parser failure with the 0-based character index PostgreSQL reports. */
export interface ParserFailure {
  message: string;
  /** 0-based character (code point) index into the parsed text. */
  cursor: number;
}

/** Parses SQL into raw statements, or returns the parser's failure. */
export function parseRaw(
  sql: string,
):
  | { ok: true; stmts: { stmt: AstNode; stmt_location?: number; stmt_len?: number }[] }
  | { ok: false; failure: ParserFailure } {
  assertReady();
  try {
    const result = pgQuery.parseSync(sql) as unknown as {
      stmts?: { stmt: AstNode; stmt_location?: number; stmt_len?: number }[];
    };
    return { ok: true, stmts: result.stmts ?? [] };
  } catch (error) {
    const details = (error as { sqlDetails?: { message: string; cursorPosition: number } }).sqlDetails;
    return {
      ok: false,
      failure: {
        message: details?.message ?? (error instanceof Error ? error.message : String(error)),
        cursor: details?.cursorPosition ?? 0,
      },
    };
  }
}

/** Parses one statement's text; throws {@link SqlSyntaxError} with file:line:col on failure. */
export function parseStatement(sql: string, file = '<sql>'): AstNode {
  const r = parseRaw(sql);
  if (!r.ok) {
    const { line, column } = lineColumnAt(sql, codePointToIndex(sql, r.failure.cursor));
    throw new SqlSyntaxError(file, line, column, r.failure.message);
  }
  if (r.stmts.length === 0) throw new SqlSyntaxError(file, 1, 1, 'no statement');
  return r.stmts[0]!.stmt;
}

/** Normalizes constants to $n placeholders (pg_stat_statements style). */
export function normalizeSql(sql: string): string {
  assertReady();
  return pgQuery.normalizeSync(sql);
}

/** libpg-query fingerprint: the same for statements that differ only in constants. */
export function fingerprintSql(sql: string): string {
  assertReady();
  return pgQuery.fingerprintSync(sql);
}

/** Tokens of the PostgreSQL scanner (byte offsets). */
export function scanSql(sql: string): { start: number; end: number; tokenName: string; text: string }[] {
  assertReady();
  return pgQuery.scanSync(sql).tokens;
}

/** Converts a 0-based code point index into a UTF-16 string index. */
export function codePointToIndex(text: string, codePoints: number): number {
  let index = 0;
  for (let i = 0; i < codePoints && index < text.length; i++) {
    const code = text.codePointAt(index)!;
    index += code > 0xffff ? 2 : 1;
  }
  return index;
}

/** Maps UTF-8 byte offsets to string indices for one text (parser locations are in bytes). */
export class ByteIndex {
  readonly #text: string;
  readonly #ascii: boolean;
  #map: Uint32Array | undefined;

  constructor(text: string) {
    this.#text = text;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII range check
    this.#ascii = /^[\x00-\x7f]*$/.test(text);
  }

  /** String index of a byte offset. */
  toIndex(byteOffset: number): number {
    if (this.#ascii) return byteOffset;
    if (!this.#map) {
      const bytes = Buffer.byteLength(this.#text, 'utf8');
      const map = new Uint32Array(bytes + 1);
      let b = 0;
      for (let i = 0; i < this.#text.length; i++) {
        const code = this.#text.codePointAt(i)!;
        const len = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
        for (let k = 0; k < len; k++) map[b + k] = i;
        b += len;
        if (code > 0xffff) i++;
      }
      map[bytes] = this.#text.length;
      this.#map = map;
    }
    return this.#map[Math.min(byteOffset, this.#map.length - 1)]!;
  }
}

/** 1-based line and column of a string index (column counts code points, as editors do). */
export function lineColumnAt(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < index && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  const column = Array.from(text.slice(lineStart, index)).length + 1;
  return { line, column };
}
