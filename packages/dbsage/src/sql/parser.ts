import { createRequire } from 'node:module';
import { SqlSyntaxError } from '../errors.js';

/**
 * The real PostgreSQL parser (libpg-query, WASM). Load once with {@link loadParser}; the sync functions are
 * then fast enough to lint tens of thousands of statements.
 *
 * This file drives libpg-query's Emscripten module itself (as the parse worker does) rather than through the
 * package's JavaScript wrapper: the wrapper copies every query into the module's memory and every result out
 * of it with loops in JavaScript (`stringToUTF8`, `UTF8ToString`), which cost about 20 ms of a 10,000-statement
 * lint (770 KB of SQL in, 5.8 MB of JSON out); here the copies are `TextEncoder.encodeInto`, a native search
 * for the terminating NUL and `TextDecoder`. The C functions, their result structs and the error checks are
 * the wrapper's (libpg-query 18, `wasm/index.cjs`).
 */

/** The part of libpg-query's Emscripten module used here: its memory, allocator and C entry points. */
interface PgQueryWasm {
  /** The module's memory; replaced when the memory grows, so read it after every allocation. */
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _wasm_parse_query_raw(query: number): number;
  _wasm_free_parse_result(result: number): void;
  _wasm_scan(query: number): number;
  _wasm_normalize_query(query: number): number;
  _wasm_fingerprint(query: number): number;
  _wasm_free_string(ptr: number): void;
  getValue(ptr: number, type: 'i32'): number;
}

let loaded: Promise<void> | undefined;
let wasm: PgQueryWasm | undefined;

/** Loads the WASM parser (idempotent). */
export function loadParser(): Promise<void> {
  loaded ??= (createRequire(import.meta.url)('libpg-query/wasm/libpg-query.js') as () => Promise<PgQueryWasm>)().then(
    (m) => {
      wasm = m;
    },
  );
  return loaded;
}

function parserModule(): PgQueryWasm {
  if (!wasm) throw new Error('SQL parser not loaded: await loadParser() first');
  return wasm;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Copies `text` into the module's memory as a NUL-terminated UTF-8 string; the caller frees it. */
function toWasm(m: PgQueryWasm, text: string): number {
  const size = Buffer.byteLength(text, 'utf8');
  const ptr = m._malloc(size + 1);
  if (!ptr) throw new Error('Failed to allocate memory for the query');
  const heap = m.HEAPU8;
  encoder.encodeInto(text, heap.subarray(ptr, ptr + size));
  heap[ptr + size] = 0;
  return ptr;
}

/** Reads a NUL-terminated UTF-8 string from the module's memory ('' for a null pointer). */
function fromWasm(m: PgQueryWasm, ptr: number): string {
  if (!ptr) return '';
  const heap = m.HEAPU8;
  const end = heap.indexOf(0, ptr);
  return decoder.decode(heap.subarray(ptr, end === -1 ? heap.length : end));
}

/** Runs one of the C functions that take a query and return a string (freed here), with the wrapper's checks. */
function callForString(query: string, fn: (m: PgQueryWasm, ptr: number) => number): string {
  const m = parserModule();
  const input = toWasm(m, query);
  let result = 0;
  try {
    result = fn(m, input);
    const text = fromWasm(m, result);
    if (text.startsWith('syntax error') || text.startsWith('deparse error') || text.startsWith('ERROR')) {
      throw new Error(text);
    }
    return text;
  } finally {
    m._free(input);
    if (result) m._wasm_free_string(result);
  }
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
  const m = parserModule();
  const failed = (message: string, cursor = 0) => ({ ok: false as const, failure: { message, cursor } });
  if (sql === '') return failed('Query cannot be empty');
  let input = 0;
  let result = 0;
  try {
    input = toWasm(m, sql);
    result = m._wasm_parse_query_raw(input);
    if (!result) return failed('Failed to parse query: memory allocation failed');
    // PgQueryParseResult { char *parse_tree; char *stderr_buffer; PgQueryError *error }
    const tree = m.getValue(result, 'i32');
    const error = m.getValue(result + 8, 'i32');
    if (error) {
      // PgQueryError { char *message; char *funcname; char *filename; int lineno; int cursorpos; … }
      const message = m.getValue(error, 'i32');
      const cursor = m.getValue(error + 16, 'i32');
      return failed(message ? fromWasm(m, message) : 'Unknown error', cursor > 0 ? cursor - 1 : 0);
    }
    if (!tree) return failed('No parse tree generated');
    const parsed = JSON.parse(fromWasm(m, tree)) as {
      stmts?: { stmt: AstNode; stmt_location?: number; stmt_len?: number }[];
    };
    return { ok: true, stmts: parsed.stmts ?? [] };
  } catch (error) {
    return failed(error instanceof Error ? error.message : String(error));
  } finally {
    if (input) m._free(input);
    if (result) m._wasm_free_parse_result(result);
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
  return callForString(sql, (m, ptr) => m._wasm_normalize_query(ptr));
}

/** libpg-query fingerprint: the same for statements that differ only in constants. */
export function fingerprintSql(sql: string): string {
  return callForString(sql, (m, ptr) => m._wasm_fingerprint(ptr));
}

/** Tokens of the PostgreSQL scanner (byte offsets). */
export function scanSql(sql: string): { start: number; end: number; tokenName: string; text: string }[] {
  return (JSON.parse(callForString(sql, (m, ptr) => m._wasm_scan(ptr))) as { tokens: ReturnType<typeof scanSql> })
    .tokens;
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
