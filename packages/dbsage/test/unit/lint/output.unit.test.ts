import { readFileSync } from 'node:fs';
import AjvModule from 'ajv-draft-04';
import { beforeAll, describe, expect, it } from 'vitest';
import { lintSourcesSync } from '../../../src/lint/linter.js';
import { renderGithub } from '../../../src/report/github.js';
import { renderGitlab } from '../../../src/report/gitlab.js';
import type { Report } from '../../../src/report/render.js';
import { renderSarif } from '../../../src/report/sarif.js';
import { renderTty } from '../../../src/report/tty.js';
import { loadParser } from '../../../src/sql/parser.js';
import { lintFixture } from './support.js';

/**
 * Lint output formats on a real run: SARIF validated against the SARIF 2.1.0 JSON schema (vendored from
 * @microsoft/jest-sarif's sarif-2.1.0-rtm.5.json), GitHub Actions workflow commands, GitLab code quality,
 * and the tty caret under the exact column.
 */
describe('lint output', () => {
  let report: Report;

  beforeAll(async () => {
    await loadParser();
    const files = [
      { file: 'migrations/001.sql', text: 'CREATE TABLE t (id serial PRIMARY KEY, body json);\n' },
      {
        file: 'migrations/002.sql',
        text: "SELECT 1;\n  CREATE INDEX t_body ON users (name);\nALTER TABLE users ADD CONSTRAINT c CHECK (a > 0);\nSELEC 'x, y';\n",
      },
    ];
    const r = lintSourcesSync(files);
    report = { title: 'dbsage lint', findings: r.findings, sources: r.sources };
  });

  it('SARIF validates against the SARIF 2.1.0 schema', () => {
    const schema = JSON.parse(readFileSync(lintFixture('sarif-2.1.0-rtm.5.json'), 'utf8'));
    // The schema has a pattern that is invalid with the u flag, and uses uri formats (checked by shape only here).
    // ajv-draft-04 is CommonJS: under nodenext its default import is the module namespace.
    const Ajv = (AjvModule as unknown as { default: typeof AjvModule.default }).default;
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false, validateFormats: false });
    const validate = ajv.compile(schema);
    const sarif = JSON.parse(renderSarif(report));
    const ok = validate(sarif);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    const results = sarif.runs[0].results as {
      ruleId: string;
      locations: { physicalLocation: { region: { startLine: number; startColumn: number } } }[];
    }[];
    const idx = results.find((x) => x.ruleId === 'create-index-not-concurrent')!;
    expect(idx.locations[0]!.physicalLocation.region).toEqual({ startLine: 2, startColumn: 3 });
    // The schema really checks: a broken log is rejected.
    expect(validate({ version: '2.1.0', runs: [{ tool: {} }] })).toBe(false);
  });

  it('GitHub annotations carry file, line, column, level and escaped text', () => {
    const lines = renderGithub(report).trim().split('\n');
    const idx = lines.find((l) => l.includes('create-index-not-concurrent'))!;
    expect(idx).toMatch(
      /^::error file=migrations\/002\.sql,line=2,col=3,title=create-index-not-concurrent%3A index t_body on users is built without CONCURRENTLY::A plain CREATE INDEX/,
    );
    const syntax = lines.find((l) => l.includes('syntax-error'))!;
    expect(syntax).toMatch(
      /^::error file=migrations\/002\.sql,line=4,col=1,title=syntax-error%3A syntax error%3A syntax error at or near "SELEC"::/,
    );
    expect(lines.find((l) => l.includes('json-column'))).toMatch(/^::notice file=migrations\/001\.sql,line=1,col=40,/);
  });

  it('GitLab code quality issues have the fields GitLab reads', () => {
    const issues = JSON.parse(renderGitlab(report)) as Record<string, unknown>[];
    expect(issues.length).toBe(report.findings.length);
    for (const i of issues) {
      expect(Object.keys(i).sort()).toEqual(['check_name', 'description', 'fingerprint', 'location', 'severity']);
      expect(['info', 'minor', 'major', 'critical', 'blocker']).toContain(i.severity);
    }
    expect(issues.find((i) => i.check_name === 'constraint-without-not-valid')).toMatchObject({
      severity: 'critical',
      location: { path: 'migrations/002.sql', lines: { begin: 3 } },
    });
  });

  it('tty shows the source line with a caret at the exact column', () => {
    const text = renderTty(report, { color: false });
    expect(text).toContain('    2 |   CREATE INDEX t_body ON users (name);\n          ^\n');
    expect(text).toContain('migrations/002.sql:4:1');
  });

  it('syntax errors are findings with their location and the other statements are still linted', () => {
    const syntax = report.findings.filter((f) => f.ruleId === 'syntax-error');
    expect(syntax).toHaveLength(1);
    expect(syntax[0]!.location).toEqual({ file: 'migrations/002.sql', line: 4, column: 1 });
    expect(report.findings.map((f) => f.ruleId)).toEqual(
      expect.arrayContaining(['create-index-not-concurrent', 'constraint-without-not-valid', 'serial-column']),
    );
  });
});
