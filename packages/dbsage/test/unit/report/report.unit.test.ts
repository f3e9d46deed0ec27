import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../../src/cli/shared.js';
import type { Finding } from '../../../src/findings/finding.js';
import { findingFingerprint } from '../../../src/findings/fingerprint.js';
import { render } from '../../../src/report/render.js';

const finding = (over: Partial<Finding>): Finding => ({
  ruleId: 'fk-without-index',
  category: 'index',
  severity: 'medium',
  title: 'orders.user_id has no index (FK to users)',
  summary: 'Deletes on users scan orders.',
  evidence: { tableRows: 500000, fkColumns: ['user_id'] },
  remediation: { sql: 'CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);' },
  location: { object: 'public.orders' },
  fingerprint: findingFingerprint('fk-without-index', 'public', 'orders', 'user_id'),
  ...over,
});

describe('reporters', () => {
  const findings = [
    finding({}),
    finding({ ruleId: 'seq-scan-heavy', severity: 'critical', title: 'events read by seq scans', fingerprint: 'b' }),
    finding({
      ruleId: 'note',
      severity: 'info',
      title: 'stats reset recently',
      fingerprint: 'c',
      remediation: undefined,
    }),
  ];

  it('tty groups by severity, most severe first, and honours colour off', () => {
    const out = render({ title: 'dbsage doctor', findings }, 'tty', { color: false });
    expect(out.includes('\u001b[')).toBe(false);
    const order = ['CRITICAL (1)', 'MEDIUM (1)', 'INFO (1)'].map((h) => out.indexOf(h));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(out).toContain('fix: CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);');
    expect(out).toContain('tableRows: 500000');
    expect(out.trimEnd().split('\n').pop()).toBe('3 findings: 1 critical, 1 medium, 1 info');
    expect(render({ title: 't', findings }, 'tty', { color: true })).toContain('\u001b[35m');
  });

  it('tty shows the source line with a caret at the column for file findings', () => {
    const f = finding({ location: { file: 'm.sql', line: 2, column: 5 } });
    const out = render(
      { title: 'lint', findings: [f], sources: new Map([['m.sql', 'BEGIN;\nALTER TABLE x ADD y int;']]) },
      'tty',
      {
        color: false,
      },
    );
    const lines = out.split('\n');
    const src = lines.findIndex((l) => l.includes('2 | ALTER TABLE x'));
    expect(src).toBeGreaterThan(0);
    expect(lines[src + 1]!.indexOf('^')).toBe(lines[src]!.indexOf('ALTER') + 4);
  });

  it('json is an array of findings, markdown carries evidence and remediation', () => {
    const json = JSON.parse(render({ title: 't', findings }, 'json', { color: false })) as Finding[];
    expect(json.map((f) => f.severity)).toEqual(['critical', 'medium', 'info']);
    const md = render({ title: 'dbsage doctor', findings }, 'markdown', { color: false });
    expect(md).toContain('## [medium] orders.user_id has no index (FK to users)');
    expect(md).toContain('- tableRows: `500000`');
    expect(md).toContain('```sql\nCREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);\n```');
  });

  it('sarif 2.1.0 has one result per finding with locations', () => {
    const sarif = JSON.parse(render({ title: 't', findings }, 'sarif', { color: false }));
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results).toHaveLength(3);
    expect(sarif.runs[0].results[1].locations[0].logicalLocations[0].fullyQualifiedName).toBe('public.orders');
  });

  it('--fail-on maps findings to exit 1 at or above the threshold', () => {
    expect(exitCodeFor(findings, undefined)).toBe(0);
    expect(exitCodeFor(findings, 'critical')).toBe(1);
    expect(exitCodeFor([findings[0]!], 'high')).toBe(0);
    expect(exitCodeFor([findings[0]!], 'medium')).toBe(1);
  });

  it('fingerprints are stable and depend on identity only', () => {
    expect(findingFingerprint('r', 'a', 'b')).toBe(findingFingerprint('r', 'a', 'b'));
    expect(findingFingerprint('r', 'a', 'b')).not.toBe(findingFingerprint('r', 'ab', ''));
    expect(findingFingerprint('r', 'a')).toMatch(/^r:[0-9a-f]{16}$/);
  });
});
