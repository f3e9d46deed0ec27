import { Double, EJSON, Int32, Long } from 'bson';
import { InputError } from '../errors.js';
import { locateJsonError } from './json-position.js';
import type { MongoDocument } from './types.js';

/** Documents parsed from a sample file, with the 1-based line each one starts on. */
export interface ParsedSamples {
  documents: MongoDocument[];
  lines: number[];
}

/**
 * Parses sample documents: NDJSON (mongoexport's default, one document per line) or a JSON array (mongoexport
 * `--jsonArray`, Compass export), both in Extended JSON (`{"$oid": …}`, `{"$date": …}`, `{"$numberLong": …}`,
 * canonical or relaxed). Values decode to the BSON library's types (ObjectId, Date, Long…), so schema inference
 * sees the types the server stores.
 *
 * A malformed file throws {@link InputError} with `file:line[:column]` of the first bad document, so the CLI
 * exits 2 pointing at it.
 */
export function parseSamples(text: string, file: string): ParsedSamples {
  const body = text.replace(/^\uFEFF/, '');
  const first = /\S/.exec(body);
  if (!first) return { documents: [], lines: [] };
  if (body[first.index] === '[') return parseArray(body, file);
  // One pretty-printed document (a pipeline file, a single export) parses whole; NDJSON fails at its 2nd line.
  if (isSingleJson(body))
    return { documents: [decode(body, file, 1)], lines: [body.slice(0, first.index).split('\n').length] };
  return parseNdjson(body, file);
}

function isSingleJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function decode(json: string, file: string, line: number): MongoDocument {
  let value: unknown;
  try {
    value = toNative(EJSON.parse(json, { relaxed: false }));
  } catch (error) {
    const pos = locateJsonError(json);
    if (pos) {
      throw new InputError(`${file}:${line + pos.line - 1}:${pos.column}: invalid JSON: ${pos.reason}`, {
        cause: error,
      });
    }
    throw new InputError(`${file}:${line}: invalid Extended JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError(`${file}:${line}: expected a document (a JSON object), got ${describe(value)}`);
  }
  return value as MongoDocument;
}

/**
 * Canonical Extended JSON → the values the driver would hand back: Int32 and Double become numbers, a Long
 * becomes a number only when exact (EJSON's relaxed mode rounds past 2^53), everything else keeps its BSON type.
 */
export function toNative(value: unknown): unknown {
  if (value instanceof Int32 || value instanceof Double) return value.valueOf();
  if (value instanceof Long) {
    const n = value.toNumber();
    return Number.isSafeInteger(n) ? n : value;
  }
  if (Array.isArray(value)) return value.map(toNative);
  if (
    typeof value === 'object' &&
    value !== null &&
    !('_bsontype' in value) &&
    !(value instanceof Date) &&
    !(value instanceof RegExp)
  ) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toNative(v);
    return out;
  }
  return value;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return `a ${typeof value}`;
}

function parseNdjson(text: string, file: string): ParsedSamples {
  const documents: MongoDocument[] = [];
  const lines: number[] = [];
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!.trim();
    if (row === '') continue;
    documents.push(decode(row, file, i + 1));
    lines.push(i + 1);
  }
  return { documents, lines };
}

/** Splits a JSON array into its top-level elements (offsets and start lines), aware of strings. */
function splitArray(text: string): { start: number; end: number; line: number }[] {
  const out: { start: number; end: number; line: number }[] = [];
  let depth = 0;
  let inString = false;
  let line = 1;
  let start = -1;
  let startLine = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n') line++;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    if (ch === '[' || ch === '{') {
      depth++;
      if (depth === 2 && start < 0) {
        start = i;
        startLine = line;
      }
      continue;
    }
    if (ch === ']' || ch === '}') {
      depth--;
      if (depth === 1 && start >= 0) {
        out.push({ start, end: i + 1, line: startLine });
        start = -1;
      }
      continue;
    }
    if (depth === 1 && start < 0 && /[^\s,]/.test(ch)) {
      // A scalar element: take it up to the next comma or the closing bracket.
      const m = /^[^,\]]*/.exec(text.slice(i))!;
      out.push({ start: i, end: i + m[0].trimEnd().length, line });
      i += m[0].length - 1;
    }
  }
  return out;
}

function parseArray(text: string, file: string): ParsedSamples {
  try {
    JSON.parse(text);
  } catch (error) {
    const pos = locateJsonError(text);
    const where = pos ? `${pos.line}:${pos.column}` : '1';
    throw new InputError(`${file}:${where}: invalid JSON: ${pos?.reason ?? (error as Error).message}`, {
      cause: error,
    });
  }
  const documents: MongoDocument[] = [];
  const lines: number[] = [];
  for (const el of splitArray(text)) {
    documents.push(decode(text.slice(el.start, el.end), file, el.line));
    lines.push(el.line);
  }
  return { documents, lines };
}

/**
 * Keeps at most `size` documents, chosen deterministically and evenly across the file (every k-th), with their
 * lines, so repeated runs report the same findings. Returns the input when it is small enough.
 */
export function limitSample(samples: ParsedSamples, size: number): ParsedSamples & { total: number } {
  const total = samples.documents.length;
  if (total <= size) return { ...samples, total };
  const documents: MongoDocument[] = [];
  const lines: number[] = [];
  const step = total / size;
  for (let k = 0; k < size; k++) {
    const i = Math.floor(k * step);
    documents.push(samples.documents[i]!);
    lines.push(samples.lines[i]!);
  }
  return { documents, lines, total };
}
