import { describe, expect, it } from 'vitest';
import type { Setting } from '../../../src/doctor/sources.js';
import { diffSettings, formatKb, parseRam, recommendSettings } from '../../../src/doctor/tune.js';

const value = (recs: { name: string; value: string }[], name: string) => recs.find((r) => r.name === name)?.value;

describe('tune (PGTune rules)', () => {
  it('16GB, 4 CPUs, SSD, web', () => {
    const r = recommendSettings({ ramBytes: parseRam('16GB'), cpus: 4, storage: 'ssd', workload: 'web' });
    expect(value(r, 'max_connections')).toBe('200');
    expect(value(r, 'shared_buffers')).toBe('4GB');
    expect(value(r, 'effective_cache_size')).toBe('12GB');
    expect(value(r, 'maintenance_work_mem')).toBe('1GB');
    expect(value(r, 'checkpoint_completion_target')).toBe('0.9');
    expect(value(r, 'wal_buffers')).toBe('16MB');
    expect(value(r, 'default_statistics_target')).toBe('100');
    expect(value(r, 'random_page_cost')).toBe('1.1');
    expect(value(r, 'effective_io_concurrency')).toBe('200');
    // (16 GiB − 4 GiB) / ((200 + 4) × 3) = 20560.6 kB
    expect(value(r, 'work_mem')).toBe('20560kB');
    expect(value(r, 'huge_pages')).toBe('try');
    expect(value(r, 'min_wal_size')).toBe('1GB');
    expect(value(r, 'max_wal_size')).toBe('4GB');
    expect(value(r, 'max_worker_processes')).toBe('4');
    expect(value(r, 'max_parallel_workers_per_gather')).toBe('2');
    expect(value(r, 'max_parallel_workers')).toBe('4');
    expect(value(r, 'max_parallel_maintenance_workers')).toBe('2');
    for (const rec of r) expect(rec.reason.length).toBeGreaterThan(10);
  });

  it('data warehouse on 64GB / 16 CPUs / HDD: bigger maintenance memory, more workers per gather, HDD costs', () => {
    const r = recommendSettings({ ramBytes: parseRam('64GB'), cpus: 16, storage: 'hdd', workload: 'dw' });
    expect(value(r, 'max_connections')).toBe('40');
    expect(value(r, 'maintenance_work_mem')).toBe('8GB');
    expect(value(r, 'autovacuum_work_mem')).toBe('2GB');
    expect(value(r, 'default_statistics_target')).toBe('500');
    expect(value(r, 'random_page_cost')).toBe('4');
    expect(value(r, 'effective_io_concurrency')).toBe('2');
    expect(value(r, 'max_parallel_workers_per_gather')).toBe('8');
    expect(value(r, 'max_parallel_maintenance_workers')).toBe('4');
    expect(value(r, 'jit')).toBeUndefined();
    // (64 GiB − 16 GiB) / ((40 + 16) × 3) / 2 = 149796.5 kB
    expect(value(r, 'work_mem')).toBe('149796kB');
  });

  it('few CPUs: no parallel settings, work_mem floor of 4MB', () => {
    const r = recommendSettings({ ramBytes: parseRam('1GB'), cpus: 2, storage: 'ssd', workload: 'oltp' });
    expect(value(r, 'max_worker_processes')).toBeUndefined();
    expect(value(r, 'work_mem')).toBe('4MB');
    expect(value(r, 'huge_pages')).toBe('off');
    expect(() => parseRam('lots')).toThrow(/--ram takes a size/);
    expect(formatKb(1536 * 1024)).toBe('1536MB');
  });

  it("diffs against pg_settings in the setting's own unit", () => {
    const live = new Map<string, Setting>([
      [
        'shared_buffers',
        {
          name: 'shared_buffers',
          setting: '524288',
          unit: '8kB',
          source: 'configuration file',
          context: 'postmaster',
          bootValue: '1024',
        },
      ],
      [
        'random_page_cost',
        { name: 'random_page_cost', setting: '4', unit: null, source: 'default', context: 'user', bootValue: '4' },
      ],
      ['jit', { name: 'jit', setting: 'on', unit: null, source: 'default', context: 'user', bootValue: 'on' }],
    ]);
    const recs = recommendSettings({ ramBytes: parseRam('16GB'), cpus: 4, storage: 'ssd', workload: 'web' }).filter(
      (r) => ['shared_buffers', 'random_page_cost', 'jit'].includes(r.name),
    );
    const d = diffSettings(recs, live);
    expect(d.find((x) => x.name === 'shared_buffers')).toMatchObject({ current: '4GB', changed: false, restart: true });
    expect(d.find((x) => x.name === 'random_page_cost')).toMatchObject({ current: '4', changed: true, restart: false });
    expect(d.find((x) => x.name === 'jit')).toMatchObject({ current: 'on', changed: true });
  });
});
