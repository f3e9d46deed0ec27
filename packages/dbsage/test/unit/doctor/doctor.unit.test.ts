import { describe, expect, it } from 'vitest';
import { DOCTOR_CHECKS } from '../../../src/doctor/all-checks.js';
import { tableThresholds } from '../../../src/doctor/autovacuum-thresholds.js';
import { parseNumberWithUnit, resolveOptions } from '../../../src/doctor/check.js';
import { idList, parseCheckOptions } from '../../../src/doctor/cli-options.js';
import { duplicateGroups, signature } from '../../../src/doctor/index-shape.js';
import { limitationNotes, selectChecks, validateOptions } from '../../../src/doctor/runner.js';
import { capSeverity, climb, maxSeverity } from '../../../src/doctor/severity.js';
import { counterDelta } from '../../../src/doctor/snapshot.js';
import type { IndexInfo, TableStats } from '../../../src/doctor/sources.js';
import { formatBytes, formatSeconds, settingBytes } from '../../../src/doctor/units.js';
import { UsageError } from '../../../src/errors.js';

function index(partial: Partial<IndexInfo>): IndexInfo {
  return {
    oid: 1,
    tableOid: 10,
    schema: 'public',
    table: 't',
    name: 'i',
    method: 'btree',
    unique: false,
    primary: false,
    exclusion: false,
    valid: true,
    ready: true,
    replicaIdentity: false,
    keyCount: 1,
    attnums: [1],
    columns: ['a'],
    opclasses: [1978],
    collations: [0],
    options: [0],
    expressions: null,
    predicate: null,
    definition: null,
    constraintName: null,
    relpages: 10,
    reltuples: 100,
    sizeBytes: 81920,
    scans: 0,
    tableBytes: 819200,
    tableWrites: 0,
    ...partial,
  };
}

describe('check options', () => {
  const specs = {
    minMeanMillis: { type: 'number', default: 100, min: 0, description: 'x' },
    storage: { type: 'choice', default: 'unknown', choices: ['unknown', 'ssd', 'hdd'], description: 'x' },
    useApprox: { type: 'boolean', default: true, description: 'x' },
  } as const;

  it('fills defaults and converts --option strings, sizes included', () => {
    expect(resolveOptions('c', specs, undefined)).toEqual({ minMeanMillis: 100, storage: 'unknown', useApprox: true });
    expect(resolveOptions('c', specs, { minMeanMillis: '50', storage: 'ssd', useApprox: 'false' })).toEqual({
      minMeanMillis: 50,
      storage: 'ssd',
      useApprox: false,
    });
    expect(parseNumberWithUnit('64MB')).toBe(64 * 1024 * 1024);
    expect(parseNumberWithUnit('1.5GB')).toBe(1.5 * 1024 ** 3);
    expect(parseNumberWithUnit('5s')).toBeNaN(); // durations are plain numbers in the option's unit
  });

  it('rejects unknown options, wrong types, out-of-range numbers and choices with a usage error', () => {
    expect(() => resolveOptions('c', specs, { minMean: 1 })).toThrow(/check c has no option "minMean"/);
    expect(() => resolveOptions('c', specs, { minMeanMillis: 'fast' })).toThrow(UsageError);
    expect(() => resolveOptions('c', specs, { minMeanMillis: -1 })).toThrow(/at least 0/);
    expect(() => resolveOptions('c', specs, { storage: 'tape' })).toThrow(/one of unknown, ssd, hdd/);
    expect(() => resolveOptions('c', specs, { useApprox: 'maybe' })).toThrow(/true or false/);
  });

  it('parses --option pairs and check lists', () => {
    expect(
      parseCheckOptions(['slow-queries.minMeanMillis=50', 'slow-queries.minCalls=2', 'unused-index.minBytes=1MB']),
    ).toEqual({
      'slow-queries': { minMeanMillis: '50', minCalls: '2' },
      'unused-index': { minBytes: '1MB' },
    });
    expect(() => parseCheckOptions(['minMeanMillis=50'])).toThrow(/check.option=value/);
    expect(idList('a, b,,c')).toEqual(['a', 'b', 'c']);
  });

  it('validates options and check ids of a run up front', () => {
    expect(() => validateOptions({ 'slow-queries': { minMeanMillis: '10' } })).not.toThrow();
    expect(() => validateOptions({ 'no-such': {} })).toThrow(/unknown check "no-such"/);
    expect(() => selectChecks(['slow-queries', 'typo'])).toThrow(/unknown check "typo"/);
    expect(selectChecks(undefined, ['slow-queries']).some((c) => c.id === 'slow-queries')).toBe(false);
    expect(selectChecks(['deadlocks']).map((c) => c.id)).toEqual(['deadlocks']);
  });
});

describe('the check set', () => {
  it('has unique kebab-case ids, a description and documented option defaults for every check', () => {
    const ids = DOCTOR_CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(39);
    for (const c of DOCTOR_CHECKS) {
      expect(c.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(c.description.length).toBeGreaterThan(10);
      for (const spec of Object.values(c.options)) expect(spec.description.length).toBeGreaterThan(5);
      expect(() => c.resolveOptions(undefined)).not.toThrow();
    }
  });

  it('names the limited checks and the grant that enables them', () => {
    const notes = limitationNotes(DOCTOR_CHECKS, [
      { privilege: 'read_all_stats', grant: 'GRANT pg_read_all_stats TO app;' },
    ]);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('Limited without pg_read_all_stats / pg_monitor:');
    expect(notes[0]).toContain("long-running-queries (other users' sessions show no query text or timings)");
    expect(notes[0]).toContain('GRANT pg_read_all_stats TO app;');
    expect(notes[0]).not.toContain('exact-duplicate-index');
  });
});

describe('severity ladders', () => {
  it('climbs to the highest step reached and caps', () => {
    const ladder = { low: 50, medium: 75, high: 90, critical: 98 };
    expect(climb(49.9, ladder)).toBeUndefined();
    expect(climb(50, ladder)).toBe('low');
    expect(climb(95, ladder)).toBe('high');
    expect(climb(99, ladder)).toBe('critical');
    expect(maxSeverity('low', 'high')).toBe('high');
    expect(maxSeverity(undefined, 'medium')).toBe('medium');
    expect(capSeverity('high', 'info')).toBe('info');
  });
});

describe('snapshots', () => {
  it('subtracts counters and treats a smaller value as a reset', () => {
    expect(counterDelta(150, 100)).toEqual({ value: 50, reset: false });
    expect(counterDelta(30, 100)).toEqual({ value: 30, reset: true });
  });
});

describe('autovacuum thresholds', () => {
  const g = {
    autovacuum: true,
    vacuumThreshold: 50,
    vacuumScaleFactor: 0.2,
    analyzeThreshold: 50,
    analyzeScaleFactor: 0.1,
    freezeMaxAge: 200_000_000,
    multixactFreezeMaxAge: 400_000_000,
  };
  const table = (reloptions: Record<string, string>, reltuples: number | null) =>
    ({ reloptions, reltuples }) as unknown as TableStats;

  it("uses the table's reloptions over the global settings, and 0 tuples for a never-analyzed table", () => {
    const t = tableThresholds(
      table({ autovacuum_vacuum_scale_factor: '0.01', autovacuum_enabled: 'false' }, 1_000_000),
      g,
    );
    expect(t.vacuumTrigger).toBe(50 + 10_000);
    expect(t.analyzeTrigger).toBe(50 + 100_000);
    expect(t.enabled).toBe(false);
    expect(t.fromReloptions).toEqual(['autovacuum_vacuum_scale_factor']);
    expect(tableThresholds(table({}, null), g).vacuumTrigger).toBe(50);
    expect(tableThresholds(table({}, 10), { ...g, autovacuum: false }).enabled).toBe(false);
  });
});

describe('index shapes', () => {
  it('groups exact duplicates and keeps the constraint, then the more used index', () => {
    const a = index({ oid: 1, name: 'a' });
    const b = index({ oid: 2, name: 'b', scans: 5 });
    const c = index({ oid: 3, name: 'c_key', unique: true, constraintName: 'c_key' });
    const other = index({ oid: 4, name: 'pattern', opclasses: [10043] });
    const partial = index({ oid: 5, name: 'partial', predicate: '(a > 0)' });
    const groups = duplicateGroups([a, b, c, other, partial]);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.keep.name).toBe('c_key');
    expect(groups[0]!.drop.map((i) => i.name)).toEqual(['b', 'a']);
    expect(signature(index({ attnums: [1, 3, 2], keyCount: 1 }))).toBe(
      signature(index({ attnums: [1, 2, 3], keyCount: 1 })),
    );
  });
});

describe('units', () => {
  it('formats bytes, seconds and pg_settings memory values', () => {
    expect(formatBytes(1536)).toBe('1.5 kB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GB');
    expect(formatSeconds(3725)).toBe('1h 2m');
    expect(settingBytes('16384', '8kB')).toBe(128 * 1024 * 1024);
    expect(settingBytes('4096', 'kB')).toBe(4 * 1024 * 1024);
  });
});

describe('documentation', () => {
  it('every check has docs/rules/<id>.md listing each of its options', async () => {
    const { readFileSync } = await import('node:fs');
    for (const c of DOCTOR_CHECKS) {
      const page = readFileSync(new URL(`../../../../../docs/rules/${c.id}.md`, import.meta.url), 'utf8');
      expect(page.startsWith(`# ${c.id}\n`)).toBe(true);
      for (const name of Object.keys(c.options)) expect(page).toContain(`| \`${name}\` |`);
      expect(page).toContain('## Fix');
    }
  });
});
