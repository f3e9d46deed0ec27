import { type AstNode, parseRaw } from '../../sql/parser.js';

/**
 * Column names a plan condition mentions (`((a = 1) AND (b = 2))` → a, b). Plan conditions are SQL expressions,
 * so the real parser reads them; a condition it cannot read yields the identifiers a simple scan finds.
 */
export function conditionColumns(condition: string | null): string[] {
  if (!condition) return [];
  const out = new Set<string>();
  let parsed: ReturnType<typeof parseRaw> | null = null;
  try {
    parsed = parseRaw(`SELECT 1 WHERE ${condition}`);
  } catch {
    parsed = null;
  }
  if (parsed?.ok) {
    const walk = (n: unknown): void => {
      if (!n || typeof n !== 'object') return;
      if (Array.isArray(n)) {
        for (const x of n) walk(x);
        return;
      }
      const o = n as AstNode;
      if (o.ColumnRef) {
        const fields = (o.ColumnRef.fields ?? []) as AstNode[];
        const last = fields[fields.length - 1]?.String?.sval;
        if (typeof last === 'string') out.add(last);
        return;
      }
      for (const v of Object.values(o)) walk(v);
    };
    walk(parsed.stmts);
    return [...out];
  }
  for (const m of condition.matchAll(/\(?\b([a-z_][a-z0-9_]*)\b\)?(?:::\w+)?\s*(?:=|<>|<=|>=|<|>|~~|!~~)/gi)) {
    out.add(m[1]!);
  }
  return [...out];
}
