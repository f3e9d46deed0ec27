import { describe, expect, it } from 'vitest';
import { type Finding, sortFindings } from '../../../src/findings/finding.js';
import { compareText } from '../../../src/util/compare.js';

const finding = (ruleId: string, severity: Finding['severity'], title: string): Finding => ({
  ruleId,
  category: 'schema',
  severity,
  title,
  summary: '',
  evidence: {},
  fingerprint: `${ruleId}:${title}`,
});

describe('finding order', () => {
  it('most severe first, then rule id and title in code-unit order, whatever the locale', () => {
    const sorted = sortFindings([
      finding('b-rule', 'low', 'x'),
      finding('a-rule', 'low', 'events_c12_check'),
      finding('a-rule', 'low', 'events_c122_check'),
      finding('z-rule', 'high', 'y'),
      finding('a-rule', 'low', 'Events'),
    ]);
    // '2' (U+0032) sorts before '_' (U+005F) and 'E' before 'e'; a locale collation would put c12_ first
    expect(sorted.map((f) => `${f.ruleId} ${f.title}`)).toEqual([
      'z-rule y',
      'a-rule Events',
      'a-rule events_c122_check',
      'a-rule events_c12_check',
      'b-rule x',
    ]);
    expect(compareText('a', 'a')).toBe(0);
    expect(compareText('a', 'b')).toBe(-1);
    expect(compareText('b', 'a')).toBe(1);
  });
});
