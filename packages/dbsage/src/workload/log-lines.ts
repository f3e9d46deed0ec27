import { StringDecoder } from 'node:string_decoder';

/**
 * Line splitting over a byte stream, synchronous per chunk: one callback per line and no promise per line, so a
 * gigabyte of log is split at memory speed in bounded memory (one chunk plus one unfinished line).
 */

/** Longest line kept (characters). Longer lines are reported as skipped instead of growing memory unbounded. */
export const DEFAULT_MAX_LINE_CHARS = 32 * 1024 * 1024;

/** Options of {@link forEachLine}. */
export interface LineOptions {
  signal?: AbortSignal;
  maxLineChars?: number;
  /** Called for a line longer than `maxLineChars` (with its start), instead of `onLine`. */
  onOversize?: (lineNo: number, head: string) => void;
}

/** Calls `onLine` for every line (without `\n` or `\r\n`), with its 1-based number. */
export async function forEachLine(
  source: AsyncIterable<Buffer | string>,
  onLine: (line: string, lineNo: number) => void,
  options: LineOptions = {},
): Promise<number> {
  const decoder = new StringDecoder('utf8');
  const max = options.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
  let carry = '';
  let oversize = false; // dropping the rest of an oversize line
  let lineNo = 0;
  const emit = (line: string) => {
    lineNo++;
    const end = line.length > 0 && line.charCodeAt(line.length - 1) === 13 ? line.length - 1 : line.length;
    onLine(end === line.length ? line : line.slice(0, end), lineNo);
  };
  for await (const chunk of source) {
    options.signal?.throwIfAborted();
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      if (oversize) {
        oversize = false;
      } else if (carry.length > 0) {
        const line = carry + text.slice(start, nl);
        carry = '';
        emit(line);
      } else {
        emit(text.slice(start, nl));
      }
      start = nl + 1;
    }
    if (start < text.length && !oversize) {
      carry += text.slice(start);
      if (carry.length > max) {
        lineNo++;
        options.onOversize?.(lineNo, carry.slice(0, 200));
        carry = '';
        oversize = true;
      }
    }
  }
  const tail = carry + decoder.end();
  if (tail.length > 0 && !oversize) emit(tail);
  return lineNo;
}
