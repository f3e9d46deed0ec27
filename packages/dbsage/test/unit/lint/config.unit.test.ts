import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../src/errors.js';
import { parseLintConfig } from '../../../src/lint/config.js';
import { collectFiles, globToRegExp } from '../../../src/lint/files.js';
import { lintSourcesSync } from '../../../src/lint/linter.js';
import { PRESETS } from '../../../src/lint/presets.js';
import { fileIgnores, ignores, statementIgnores } from '../../../src/lint/suppress.js';
import { loadParser } from '../../../src/sql/parser.js';

describe('lint config, suppressions, presets and file order', () => {
  beforeAll(async () => {
    await loadParser();
  });

  it('parses the lint section and rejects bad values with the key named', () => {
    const c = parseLintConfig({
      lint: {
        profile: 'all',
        rules: { 'drop-column': 'off', 'json-column': 'high' },
        pgVersion: 13,
        ignore: ['legacy/**'],
        preset: 'flyway',
      },
    });
    expect(c).toMatchObject({
      profiles: ['safety', 'design', 'style'],
      rules: { 'drop-column': 'off', 'json-column': 'high' },
      pgVersion: 13,
      ignore: ['legacy/**'],
      preset: 'flyway',
    });
    expect(() => parseLintConfig({ lint: { rules: { x: 'loud' } } })).toThrow(/rules\.x: expected "off" or a severity/);
    expect(() => parseLintConfig({ lint: { preset: 'rails' } })).toThrow(InputError);
    expect(() => parseLintConfig({ lint: { colour: true } })).toThrow(/unknown key "lint\.colour"/);
  });

  it('rules off and severity overrides apply', () => {
    const text =
      'ALTER TABLE users DROP COLUMN a;\nCREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, b json);\n';
    const r = lintSourcesSync([{ file: 'm.sql', text }], { rules: { 'drop-column': 'off', 'json-column': 'high' } });
    expect(r.findings.map((f) => f.ruleId)).not.toContain('drop-column');
    expect(r.findings.find((f) => f.ruleId === 'json-column')?.severity).toBe('high');
  });

  it('profiles select rules', () => {
    const text =
      'CREATE INDEX i ON users (a);\nCREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, b json);\n';
    const safety = lintSourcesSync([{ file: 'm.sql', text }], { profiles: ['safety'] }).findings.map((f) => f.ruleId);
    const design = lintSourcesSync([{ file: 'm.sql', text }], { profiles: ['design'] }).findings.map((f) => f.ruleId);
    expect(safety).toContain('create-index-not-concurrent');
    expect(safety).not.toContain('json-column');
    expect(design).toEqual(['json-column']);
  });

  it('parses ignore comments', () => {
    expect(statementIgnores(['-- dbsage-ignore drop-column, rename-table'])).toEqual(
      new Set(['drop-column', 'rename-table']),
    );
    expect(statementIgnores(['-- dbsage-ignore'])).toBe('all');
    expect(statementIgnores(['-- just a comment'])).toBeUndefined();
    expect(fileIgnores('SELECT 1;\n/* dbsage-ignore-file drop-table */\n')).toEqual(new Set(['drop-table']));
    expect(ignores(new Set(['a']), 'b')).toBe(false);
  });

  it('--since semantics: history files build the model and report nothing', () => {
    const r = lintSourcesSync([
      {
        file: '001.sql',
        text: 'CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, a text);\nALTER TABLE users DROP COLUMN x;\n',
        history: true,
      },
      { file: '002.sql', text: 'CREATE INDEX t_a ON t (a);\n' },
    ]);
    // t was deployed by 001 (history), so indexing it now is a real hazard; 001's own findings are not reported.
    expect(r.findings.map((f) => `${f.ruleId}@${(f.location as { file: string }).file}`).sort()).toEqual([
      'create-index-not-concurrent@002.sql',
      'missing-lock-timeout@002.sql',
    ]);
  });

  it('node-pg-migrate preset lints only the Up section', () => {
    const text =
      '-- Up Migration\nALTER TABLE users ADD COLUMN a text;\n-- Down Migration\nALTER TABLE users DROP COLUMN a;\n';
    const ids = lintSourcesSync([{ file: 'm.sql', text }], {
      preset: 'node-pg-migrate',
      profiles: ['safety'],
    }).findings.map((f) => f.ruleId);
    expect(ids).not.toContain('drop-column');
    expect(ids).toContain('missing-lock-timeout');
  });

  it('orders files naturally, and Flyway by version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbsage-files-'));
    mkdirSync(join(dir, 'legacy'));
    for (const f of ['V10__c.sql', 'V2__b.sql', 'V1_1__a.sql', 'R__views.sql', 'legacy/V0__old.sql', 'notes.txt'])
      writeFileSync(join(dir, f), 'SELECT 1;');
    const flyway = collectFiles(['.'], { cwd: dir, preset: PRESETS.flyway, ignore: ['legacy/**'] }).map(
      (f) => f.display,
    );
    expect(flyway).toEqual(['V1_1__a.sql', 'V2__b.sql', 'V10__c.sql', 'R__views.sql']);
    const plain = collectFiles(['.'], { cwd: dir, preset: PRESETS.plain, ignore: [] }).map((f) => f.display);
    expect(plain).toEqual(['legacy/V0__old.sql', 'R__views.sql', 'V1_1__a.sql', 'V2__b.sql', 'V10__c.sql']);
    expect(globToRegExp('migrations/**/*.sql').test('migrations/a/b/c.sql')).toBe(true);
    expect(globToRegExp('*.sql').test('a/b.sql')).toBe(false);
  });
});
