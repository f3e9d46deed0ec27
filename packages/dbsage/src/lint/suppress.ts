/**
 * Suppression comments: `-- dbsage-ignore rule-a, rule-b` silences those rules (or every rule when none is
 * named) for the next statement; `-- dbsage-ignore-file [rule …]` anywhere in a file silences them for the file.
 */

/** Rules silenced: `all`, or a set of ids. */
export type IgnoreSet = 'all' | ReadonlySet<string>;

const IGNORE = /^\s*(?:--|\/\*)\s*dbsage-ignore(-file)?\b([^\n*]*)/i;

function idsOf(rest: string): IgnoreSet {
  const ids = rest
    .replace(/\*\/\s*$/, '')
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => /^[a-z0-9][a-z0-9-]*$/.test(s));
  return ids.length ? new Set(ids) : 'all';
}

/** Parses the comments before a statement into what they silence for it. */
export function statementIgnores(comments: readonly string[]): IgnoreSet | undefined {
  let out: IgnoreSet | undefined;
  for (const c of comments) {
    const m = IGNORE.exec(c);
    if (!m || m[1]) continue;
    out = merge(out, idsOf(m[2] ?? ''));
  }
  return out;
}

/** Finds `dbsage-ignore-file` comments anywhere in a source. */
export function fileIgnores(source: string): IgnoreSet | undefined {
  let out: IgnoreSet | undefined;
  const re = /(?:--|\/\*)\s*dbsage-ignore-file\b([^\n*]*)/gi;
  for (let m = re.exec(source); m; m = re.exec(source)) out = merge(out, idsOf(m[1] ?? ''));
  return out;
}

function merge(a: IgnoreSet | undefined, b: IgnoreSet): IgnoreSet {
  if (a === 'all' || b === 'all') return 'all';
  return a ? new Set([...a, ...b]) : b;
}

/** True when `set` silences `ruleId`. */
export function ignores(set: IgnoreSet | undefined, ruleId: string): boolean {
  return set === 'all' || set?.has(ruleId) === true;
}
