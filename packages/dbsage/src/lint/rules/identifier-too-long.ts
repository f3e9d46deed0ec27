import { ByteIndex, scanSql } from '../../sql/parser.js';
import { identifierBytes } from '../ast.js';
import type { RuleReport, StatementRule } from '../rule.js';

/**
 * Candidate words (22+ characters can exceed 63 bytes in UTF-8) and quoted identifiers. The lookbehind makes a
 * word match only from its first character, so the scan stays linear instead of retrying inside every word.
 */
const CANDIDATES = /(?<![A-Za-z0-9_$\u0080-\uffff])[A-Za-z0-9_$\u0080-\uffff]{22,}|"[^"]{22,}"/g;

/** In ASCII text a byte is a character: a word of 64+ identifier characters, or 64+ characters in quotes. */
const LONG_ASCII = /[A-Za-z0-9_$]{64}|"[^"]{64}/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII range check
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Cheap pre-check before running the scanner: some candidate is longer than 63 bytes. Most statements are
 * ASCII, where one non-global regex test answers it (it runs for every statement of a migration).
 */
function mayHaveLongIdentifier(text: string): boolean {
  if (!NON_ASCII.test(text)) return LONG_ASCII.test(text);
  for (const m of text.matchAll(CANDIDATES))
    if (Buffer.byteLength(m[0]) > (m[0].startsWith('"') ? 65 : 63)) return true;
  return false;
}

/**
 * PostgreSQL truncates identifiers to NAMEDATALEN-1 = 63 bytes (with only a NOTICE), so the object gets a
 * different name than the migration says and two long names can collide. The parser has already truncated
 * names in the AST, so the rule reads the scanner's tokens.
 */
export const rule: StatementRule = {
  id: 'identifier-too-long',
  profile: 'safety',
  category: 'migration',
  severity: 'medium',
  scope: 'statement',
  description: 'identifier longer than 63 bytes is silently truncated',
  kinds: ['*'],
  check(stmt) {
    if (stmt.text.length < 64 || !mayHaveLongIdentifier(stmt.text)) return [];
    const out: RuleReport[] = [];
    let tokens: ReturnType<typeof scanSql>;
    try {
      tokens = scanSql(stmt.text);
    } catch {
      return [];
    }
    const bytes = new ByteIndex(stmt.text);
    const seen = new Set<string>();
    for (const t of tokens) {
      if (t.tokenName !== 'IDENT') continue;
      const raw = stmt.text.slice(bytes.toIndex(t.start), bytes.toIndex(t.end));
      const value = raw.startsWith('"') ? raw.slice(1, -1).replace(/""/g, '"') : raw.toLowerCase();
      const size = identifierBytes(value);
      if (size <= 63 || seen.has(value)) continue;
      seen.add(value);
      const index = bytes.toIndex(t.start);
      const before = stmt.text.slice(0, index);
      const nl = before.lastIndexOf('\n');
      const lineOffset = before.split('\n').length - 1;
      const truncated = Buffer.from(value, 'utf8')
        .subarray(0, 63)
        .toString('utf8')
        .replace(/\uFFFD$/, '');
      out.push({
        title: `identifier "${value.length > 40 ? `${value.slice(0, 37)}...` : value}" is ${size} bytes and will be truncated`,
        summary:
          'PostgreSQL truncates identifiers to 63 bytes with only a notice, so the object gets a different name than the migration says and two long names can collide. Use a shorter name.',
        evidence: { identifier: value, bytes: size, limit: 63, truncatedTo: truncated },
        remediation: { steps: ['choose a name of at most 63 bytes'] },
        pos: {
          file: stmt.file,
          line: stmt.line + lineOffset,
          column:
            lineOffset === 0 ? stmt.column + Array.from(before).length : Array.from(before.slice(nl + 1)).length + 1,
        },
        object: value,
      });
    }
    return out;
  },
};
