/**
 * Cuts a large SQL text into chunks that end at statement boundaries, so the chunks can be parsed apart (in a
 * worker, while the linter works through the chunks already parsed). A cut is made only after a `;` that the
 * PostgreSQL scanner would also see as a top-level semicolon: outside quotes ('…', E'…' with backslash escapes,
 * "…"), dollar quotes ($tag$…$tag$), comments (`--`, nested `/* *\/`) and parentheses.
 *
 * The one top-level semicolon that does not end a statement is inside a SQL-standard function body
 * (`BEGIN ATOMIC … END`). A cut there leaves a chunk that does not parse, and the caller then parses the rest of
 * the text as one piece, so a cut never changes the statements, only where the parser starts.
 */

/** A half-open range `[start, end)` of string indices. */
export interface TextRange {
  start: number;
  end: number;
}

/** The characters the scan stops at: quotes, dollar, comment starts, parentheses, semicolon. */
const SPECIAL = /[;'"$\-/()]/g;
const SEMICOLON = 59;
const QUOTE = 39;
const DOUBLE_QUOTE = 34;
const DOLLAR = 36;
const DASH = 45;
const SLASH = 47;
const STAR = 42;
const BACKSLASH = 92;
const OPEN_PAREN = 40;
const CLOSE_PAREN = 41;

/** Characters that continue an identifier (a `$` after one of them is part of the identifier, not a quote). */
function isIdentChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === DOLLAR || c >= 128;
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128;
}

/**
 * The end of a dollar-quote opening tag at `i` (`$$` or `$tag$`), or -1 when `i` does not open one
 * (a parameter such as `$1`).
 */
function dollarTagEnd(text: string, i: number): number {
  let j = i + 1;
  if (text.charCodeAt(j) === DOLLAR) return j + 1;
  if (!isIdentStart(text.charCodeAt(j))) return -1;
  j++;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c === DOLLAR) return j + 1;
    if (!isIdentChar(c)) return -1;
    j++;
  }
  return -1;
}

/**
 * Splits `text` into consecutive ranges of about `targetChars` each (the first one `firstChars`, so a consumer
 * can start early), every range but the last ending just after a top-level semicolon. Returns one range for
 * the whole text when it is small or has no safe cut.
 */
export function statementChunks(text: string, targetChars: number, firstChars = targetChars): TextRange[] {
  const ranges: TextRange[] = [];
  const n = text.length;
  let start = 0;
  let goal = firstChars;
  let depth = 0;
  let i = 0;
  while (i < n) {
    // Jump to the next character that can matter (a native scan; most of a migration is plain words).
    SPECIAL.lastIndex = i;
    if (!SPECIAL.test(text)) break;
    i = SPECIAL.lastIndex - 1;
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // E'…' (and e'…') strings take backslash escapes; every other string only doubles quotes.
      const p = i > 0 ? text.charCodeAt(i - 1) : 0;
      const escapes = (p === 69 || p === 101) && (i < 2 || !isIdentChar(text.charCodeAt(i - 2)));
      i++;
      while (i < n) {
        const q = text.charCodeAt(i);
        if (escapes && q === BACKSLASH) i += 2;
        else if (q === QUOTE) {
          if (text.charCodeAt(i + 1) === QUOTE) i += 2;
          else break;
        } else i++;
      }
      i++;
    } else if (c === DOUBLE_QUOTE) {
      const close = text.indexOf('"', i + 1);
      // A doubled "" inside an identifier is an escaped quote: the scan just resumes after it.
      i = close === -1 ? n : close + 1;
    } else if (c === DOLLAR && !(i > 0 && isIdentChar(text.charCodeAt(i - 1)))) {
      const tagEnd = dollarTagEnd(text, i);
      if (tagEnd === -1) i++;
      else {
        const close = text.indexOf(text.slice(i, tagEnd), tagEnd);
        i = close === -1 ? n : close + (tagEnd - i);
      }
    } else if (c === DASH && text.charCodeAt(i + 1) === DASH) {
      const eol = text.indexOf('\n', i);
      i = eol === -1 ? n : eol;
    } else if (c === SLASH && text.charCodeAt(i + 1) === STAR) {
      let nest = 1;
      i += 2;
      while (i < n && nest > 0) {
        const d = text.charCodeAt(i);
        if (d === SLASH && text.charCodeAt(i + 1) === STAR) {
          nest++;
          i += 2;
        } else if (d === STAR && text.charCodeAt(i + 1) === SLASH) {
          nest--;
          i += 2;
        } else i++;
      }
    } else if (c === OPEN_PAREN) {
      depth++;
      i++;
    } else if (c === CLOSE_PAREN) {
      if (depth > 0) depth--;
      i++;
    } else if (c === SEMICOLON) {
      i++;
      if (depth === 0 && i - start >= goal && hasStatementAfter(text, i)) {
        ranges.push({ start, end: i });
        start = i;
        goal = targetChars;
      }
    } else i++;
  }
  ranges.push({ start, end: n });
  return ranges;
}

/** True when something other than whitespace follows `from` (the last chunk is never empty). */
function hasStatementAfter(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) return true;
  }
  return false;
}
