import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LintResult, lintSourcesSync } from '../../../src/lint/linter.js';
import { isPresetId, PRESETS } from '../../../src/lint/presets.js';
import type { Profile } from '../../../src/lint/rule.js';
import { ruleById } from '../../../src/lint/rule-set.js';
import { loadParser } from '../../../src/sql/parser.js';
import { splitSql } from '../../../src/sql/split.js';
import { type CorpusCase, loadCorpus, runSquawk, type SquawkFinding, writeCorpus } from './support.js';

/**
 * The migration corpus, judged two ways: each case's exact set of dbsage rule ids, and squawk-cli as an
 * oracle. For every squawk finding in the shared rule set, dbsage reports the equivalent in the same statement
 * (or file, for file-level rules) — unless the statement works on a table created earlier in the same run
 * (decided here by a regex oracle independent of dbsage's model), where dbsage must report nothing.
 */

/** squawk rule → dbsage rule ids that cover the same problem. */
const SHARED: Record<string, { ids: string[]; scope: 'statement' | 'file'; sameRunExempt: boolean }> = {
  'require-concurrent-index-creation': {
    ids: ['create-index-not-concurrent'],
    scope: 'statement',
    sameRunExempt: true,
  },
  'require-concurrent-index-deletion': { ids: ['drop-index-not-concurrent'], scope: 'statement', sameRunExempt: true },
  'require-concurrent-reindex': { ids: ['reindex-not-concurrent'], scope: 'statement', sameRunExempt: true },
  'ban-concurrent-index-creation-in-transaction': {
    ids: ['concurrently-in-transaction'],
    scope: 'statement',
    sameRunExempt: false,
  },
  'require-concurrent-partition-detach': {
    ids: ['detach-partition-not-concurrent'],
    scope: 'statement',
    sameRunExempt: true,
  },
  'constraint-missing-not-valid': {
    ids: ['constraint-without-not-valid', 'unique-constraint-without-index', 'primary-key-without-index'],
    scope: 'statement',
    sameRunExempt: true,
  },
  'adding-foreign-key-constraint': { ids: ['constraint-without-not-valid'], scope: 'statement', sameRunExempt: true },
  'adding-not-nullable-field': { ids: ['set-not-null-without-check'], scope: 'statement', sameRunExempt: true },
  'adding-required-field': { ids: ['add-column-not-null-without-default'], scope: 'statement', sameRunExempt: true },
  'adding-field-with-default': { ids: ['add-column-rewrite'], scope: 'statement', sameRunExempt: true },
  'changing-column-type': { ids: ['alter-column-type'], scope: 'statement', sameRunExempt: true },
  'disallowed-unique-constraint': { ids: ['unique-constraint-without-index'], scope: 'statement', sameRunExempt: true },
  'adding-serial-primary-key-field': { ids: ['primary-key-without-index'], scope: 'statement', sameRunExempt: true },
  'adding-primary-key-constraint': { ids: ['primary-key-without-index'], scope: 'statement', sameRunExempt: true },
  'renaming-column': { ids: ['rename-column'], scope: 'statement', sameRunExempt: true },
  'renaming-table': { ids: ['rename-table'], scope: 'statement', sameRunExempt: true },
  'ban-drop-column': { ids: ['drop-column'], scope: 'statement', sameRunExempt: true },
  'ban-drop-table': { ids: ['drop-table'], scope: 'statement', sameRunExempt: true },
  'ban-drop-database': { ids: ['drop-database'], scope: 'statement', sameRunExempt: false },
  'ban-truncate-cascade': { ids: ['truncate-cascade'], scope: 'statement', sameRunExempt: false },
  'prefer-repack': { ids: ['vacuum-full-or-cluster'], scope: 'statement', sameRunExempt: true },
  'require-enum-value-ordering': { ids: ['enum-add-value'], scope: 'statement', sameRunExempt: false },
  'identifier-too-long': { ids: ['identifier-too-long'], scope: 'statement', sameRunExempt: false },
  'transaction-nesting': { ids: ['unbalanced-transaction'], scope: 'file', sameRunExempt: false },
  'ban-uncommitted-transaction': { ids: ['unbalanced-transaction'], scope: 'file', sameRunExempt: false },
  'require-lock-timeout': { ids: ['missing-lock-timeout'], scope: 'file', sameRunExempt: true },
  'require-timeout-settings': { ids: ['missing-lock-timeout'], scope: 'file', sameRunExempt: true },
  'prefer-timestamp-tz': { ids: ['timestamp-without-time-zone'], scope: 'statement', sameRunExempt: false },
  'prefer-timestamptz': { ids: ['timestamp-without-time-zone'], scope: 'statement', sameRunExempt: false },
  'prefer-identity': { ids: ['serial-column'], scope: 'statement', sameRunExempt: false },
  'ban-char-field': { ids: ['char-type'], scope: 'statement', sameRunExempt: false },
  'prefer-text-field': { ids: ['varchar-with-length'], scope: 'statement', sameRunExempt: false },
};

/** Regex oracle: the table a statement locks (independent of dbsage's parser-based model). */
function targetOf(sql: string, indexTable: Map<string, string>): string | undefined {
  const norm = (n: string) => n.replace(/^public\./, '').toLowerCase();
  const patterns: [RegExp, 'table' | 'index'][] = [
    [/^\s*ALTER\s+TABLE\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?([\w.]+)/i, 'table'],
    [
      /^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?:[\w.]+\s+)?ON\s+(?:ONLY\s+)?([\w.]+)/i,
      'table',
    ],
    [/^\s*DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?([\w.]+)/i, 'table'],
    [/^\s*DROP\s+INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+EXISTS\s+)?([\w.]+)/i, 'index'],
    [/^\s*REINDEX\s+TABLE\s+(?:CONCURRENTLY\s+)?([\w.]+)/i, 'table'],
    [/^\s*REINDEX\s+INDEX\s+(?:CONCURRENTLY\s+)?([\w.]+)/i, 'index'],
    [/^\s*VACUUM\s+(?:\([^)]*\)\s*|FULL\s+)*([\w.]+)/i, 'table'],
    [/^\s*CLUSTER\s+([\w.]+)/i, 'table'],
    [/^\s*TRUNCATE\s+(?:TABLE\s+)?([\w.]+)/i, 'table'],
    [/^\s*(?:DELETE\s+FROM|UPDATE)\s+([\w.]+)/i, 'table'],
  ];
  for (const [re, kind] of patterns) {
    const m = re.exec(sql);
    if (m) return kind === 'table' ? norm(m[1]!) : (indexTable.get(norm(m[1]!)) ?? `index:${norm(m[1]!)}`);
  }
  return undefined;
}

interface StatementInfo {
  file: string;
  startLine: number;
  endLine: number;
  text: string;
  target: string | undefined;
  /** The target was created by an earlier statement of the same run (regex oracle). */
  newTarget: boolean;
  ignored: string;
}

function statementsOf(c: CorpusCase): StatementInfo[] {
  const created = new Set<string>();
  const indexTable = new Map<string, string>();
  const out: StatementInfo[] = [];
  for (const f of c.files) {
    const split = splitSql(f.text, f.name);
    const lastLine = f.text.split('\n').length;
    for (const [i, s] of split.statements.entries()) {
      const next = split.statements[i + 1];
      const target = targetOf(s.text, indexTable);
      out.push({
        file: f.name,
        startLine: s.line,
        endLine: next ? next.line - 1 : lastLine,
        text: s.text,
        target,
        newTarget: target !== undefined && created.has(target),
        ignored: s.leadingComments.join('\n'),
      });
      const ct = /^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([\w.]+)/i.exec(s.text);
      if (ct) created.add(ct[1]!.replace(/^public\./, '').toLowerCase());
      const ci =
        /^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?([\w.]+)\s+ON\s+(?:ONLY\s+)?([\w.]+)/i.exec(
          s.text,
        );
      if (ci) indexTable.set(ci[1]!.toLowerCase(), ci[2]!.replace(/^public\./, '').toLowerCase());
      const dt = /^\s*DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?([\w.]+)/i.exec(s.text);
      if (dt) created.delete(dt[1]!.replace(/^public\./, '').toLowerCase());
    }
  }
  return out;
}

/** Statements the regex oracle considers lock-taking (for file-level lock_timeout equivalence). */
const LOCKING =
  /^\s*(ALTER\s+TABLE|CREATE\s+(UNIQUE\s+)?INDEX\s+(?!CONCURRENTLY)|DROP\s+TABLE|DROP\s+INDEX\s+(?!CONCURRENTLY)|REINDEX\s+(TABLE|INDEX)\s+(?!CONCURRENTLY)|VACUUM\s+(\(\s*)?FULL|CLUSTER|TRUNCATE)/i;

describe('lint corpus', () => {
  const cases = loadCorpus();
  let root: string;
  const results = new Map<number, LintResult>();
  const squawk = new Map<string, SquawkFinding[]>();
  const tally = { agreed: 0, sameRunAvoided: 0, squawkSharedFindings: 0 };
  /** `case:rule` pairs where an annotated difference was seen (an annotation that never applies is stale). */
  const differs = new Set<string>();

  beforeAll(async () => {
    await loadParser();
    root = writeCorpus(cases);
    const plain: string[] = [];
    const wrapped: string[] = [];
    for (const [i, c] of cases.entries()) {
      const preset = c.preset && isPresetId(c.preset) ? PRESETS[c.preset] : PRESETS.plain;
      const multi = c.files.reduce((n, f) => n + splitSql(f.text).statements.length, 0) > 1;
      const inTx =
        preset.transaction === 'per-file' ||
        preset.transaction === 'whole-run' ||
        (preset.transaction === 'per-file-if-multiple' && multi);
      for (const f of c.files) (inTx ? wrapped : plain).push(join(String(i).padStart(3, '0'), f.name));
    }
    for (const f of [
      ...runSquawk(plain, { cwd: root }),
      ...runSquawk(wrapped, { cwd: root, assumeInTransaction: true }),
    ]) {
      const list = squawk.get(f.file) ?? [];
      list.push(f);
      squawk.set(f.file, list);
    }
  });

  it('has at least 100 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
  });

  describe.each(cases.map((c, i) => [c.name, c, i] as const))('%s', (_name, c, i) => {
    const run = (): LintResult => {
      let r = results.get(i);
      if (!r) {
        r = lintSourcesSync(
          c.files.map((f) => ({ file: f.name, text: f.text })),
          {
            profiles: c.profile === 'all' ? ['safety', 'design', 'style'] : [(c.profile ?? 'safety') as Profile],
            ...(c.preset && isPresetId(c.preset) ? { preset: c.preset } : {}),
            ...(c.pg ? { pgVersion: c.pg } : {}),
          },
        );
        results.set(i, r);
      }
      return r;
    };

    it('reports exactly the expected rules', () => {
      const ids = [...new Set(run().findings.map((f) => f.ruleId))].sort();
      expect(ids).toEqual([...c.expect].sort());
    });

    it('agrees with squawk on the shared rules, except on tables created earlier in the run', () => {
      const r = run();
      const stmts = statementsOf(c);
      const dir = String(i).padStart(3, '0');
      for (const f of c.files) {
        for (const s of squawk.get(join(dir, f.name)) ?? []) {
          const shared = SHARED[s.rule_name];
          if (!shared) continue;
          if (c.pg !== undefined) continue; // squawk runs with its default version
          // Only rules of the profiles this case runs.
          const profiles = c.profile === 'all' ? ['safety', 'design', 'style'] : [c.profile ?? 'safety'];
          if (!shared.ids.some((id) => profiles.includes(ruleById(id)!.profile))) continue;
          tally.squawkSharedFindings++;
          if (c.differs.has(s.rule_name)) {
            differs.add(`${i}:${s.rule_name}`);
            continue;
          }
          const line = s.line + 1;
          const stmt = stmts.find((x) => x.file === f.name && line >= x.startLine && line <= x.endLine);
          const inFile = r.findings.filter(
            (x) => shared.ids.includes(x.ruleId) && x.location && 'file' in x.location && x.location.file === f.name,
          );
          if (stmt && /dbsage-ignore/.test(stmt.ignored + f.text.slice(0, f.text.indexOf(stmt.text)))) continue;
          if (shared.scope === 'file') {
            const locking = stmts.filter((x) => x.file === f.name && LOCKING.test(x.text));
            const hazardous = !s.rule_name.startsWith('require-') || locking.some((x) => !x.newTarget);
            if (hazardous) {
              expect(inFile.length, `${s.rule_name} in ${f.name}`).toBeGreaterThan(0);
              tally.agreed++;
            } else {
              expect(inFile, `${s.rule_name} in ${f.name}: every lock is on a table created in the run`).toEqual([]);
              tally.sameRunAvoided++;
            }
            continue;
          }
          expect(stmt, `statement at ${f.name}:${line}`).toBeDefined();
          const inStmt = inFile.filter((x) => {
            const l = (x.location as { line: number }).line;
            return l >= stmt!.startLine && l <= stmt!.endLine;
          });
          if (shared.sameRunExempt && stmt!.newTarget) {
            expect(
              inStmt,
              `${s.rule_name} at ${f.name}:${line} is on ${stmt!.target}, created earlier in the run`,
            ).toEqual([]);
            tally.sameRunAvoided++;
          } else {
            expect(inStmt.length, `squawk ${s.rule_name} at ${f.name}:${line}: ${stmt!.text}`).toBeGreaterThan(0);
            tally.agreed++;
          }
        }
      }
    });
  });

  it('every squawk-differs annotation matches a real squawk finding', () => {
    const annotated = cases.flatMap((c, i) => [...c.differs.keys()].map((rule) => `${i}:${rule}`));
    expect(annotated.filter((a) => !differs.has(a))).toEqual([]);
  });

  it('exercised the oracle: many agreements and many same-run squawk findings dbsage avoided', () => {
    console.log(
      `squawk oracle: ${tally.squawkSharedFindings} shared findings, ${tally.agreed} matched, ${tally.sameRunAvoided} same-run false positives avoided, ${differs.size} annotated differences`,
    );
    expect(tally.agreed).toBeGreaterThanOrEqual(60);
    expect(tally.sameRunAvoided).toBeGreaterThanOrEqual(15);
  });
});
