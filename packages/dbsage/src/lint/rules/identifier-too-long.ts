import { ByteIndex, scanSql } from '../../sql/parser.js';
import { identifierBytes } from '../ast.js';
import type { RuleReport, StatementRule } from '../rule.js';

/** Cheap pre-check: a run of 64+ identifier characters somewhere in the statement. */
const LONG_RUN = /[\p{L}\p{N}_$]{22,}/u;

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
    if (!LONG_RUN.test(stmt.text) || Buffer.byteLength(stmt.text) < 64) return [];
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
