import { UsageError } from '../errors.js';
import type { Setting } from './sources.js';

/**
 * `dbsage tune`: recommended settings for a machine and workload, by the well-known PGTune rules
 * (le0pard/pgtune, src/features/configuration/configurationSlice.js — the formulas and constants below follow
 * it; the code is written here), then diffed against the live pg_settings with the reason for each change.
 * Memory values are computed in kB, as PGTune does, and printed in PostgreSQL's units.
 */

/** Workload kinds (PGTune's "DB type"). */
export const WORKLOADS = ['web', 'oltp', 'dw', 'mixed', 'desktop'] as const;
export type Workload = (typeof WORKLOADS)[number];

/** Storage kinds. */
export const STORAGES = ['ssd', 'hdd', 'san', 'nvme'] as const;
export type Storage = (typeof STORAGES)[number];

/** Runtime check of a workload name. */
export function isWorkload(v: unknown): v is Workload {
  return typeof v === 'string' && (WORKLOADS as readonly string[]).includes(v);
}

/** Runtime check of a storage name. */
export function isStorage(v: unknown): v is Storage {
  return typeof v === 'string' && (STORAGES as readonly string[]).includes(v);
}

/** The machine and workload to tune for. */
export interface TuneInput {
  ramBytes: number;
  cpus?: number;
  storage: Storage;
  workload: Workload;
  /** Expected max_connections; default per workload (web 200, oltp 300, dw 40, mixed 100, desktop 20). */
  connections?: number;
  /** PostgreSQL major version (parallel maintenance workers need 11+, lz4 WAL compression 15+). Default 15. */
  majorVersion?: number;
}

/** One recommended setting. */
export interface Recommendation {
  name: string;
  /** Value as written in postgresql.conf (`4GB`, `0.9`, `200`). */
  value: string;
  /** For memory settings, the value in kB (to compare with pg_settings regardless of unit). */
  kb?: number;
  reason: string;
}

const KB_PER = { MB: 1024, GB: 1024 * 1024 } as const;

/** `16GB`, `512MB`, `16g` → bytes. */
export function parseRam(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(k|kb|m|mb|g|gb|t|tb)?\s*$/i.exec(text);
  if (!m) throw new UsageError(`--ram takes a size like 16GB or 512MB, got "${text}"`);
  const unit = (m[2] ?? 'gb').toLowerCase()[0]!;
  const factor = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[unit] ?? 1024 ** 3;
  return Number(m[1]) * factor;
}

/** kB → the largest exact PostgreSQL unit (`4GB`, `1536MB`, `20971kB`), as PGTune prints. */
export function formatKb(kb: number): string {
  const v = Math.floor(kb);
  if (v % KB_PER.GB === 0) return `${v / KB_PER.GB}GB`;
  if (v % KB_PER.MB === 0) return `${v / KB_PER.MB}MB`;
  return `${v}kB`;
}

const BY_WORKLOAD = <T>(w: Workload, table: Record<Workload, T>): T => table[w];

/** Computes the recommended settings (PGTune rules). */
export function recommendSettings(input: TuneInput): Recommendation[] {
  const { workload: w, storage } = input;
  const version = input.majorVersion ?? 15;
  const totalKb = Math.floor(input.ramBytes / 1024);
  if (totalKb < 256 * 1024) throw new UsageError('--ram below 256MB is outside what these rules are meant for');
  const connections = input.connections ?? BY_WORKLOAD(w, { web: 200, oltp: 300, dw: 40, mixed: 100, desktop: 20 });
  const out: Recommendation[] = [];
  const mem = (name: string, kb: number, reason: string) =>
    out.push({ name, value: formatKb(kb), kb: Math.floor(kb), reason });

  out.push({
    name: 'max_connections',
    value: String(connections),
    reason: `expected connections for a ${w} workload (use a pooler above this)`,
  });
  const sharedBuffers = w === 'desktop' ? Math.floor(totalKb / 16) : Math.floor(totalKb / 4);
  mem(
    'shared_buffers',
    sharedBuffers,
    `${w === 'desktop' ? '1/16' : '1/4'} of RAM: PostgreSQL's own cache; the OS cache holds the rest`,
  );
  mem(
    'effective_cache_size',
    w === 'desktop' ? Math.floor(totalKb / 4) : Math.floor((totalKb * 3) / 4),
    `${w === 'desktop' ? '1/4' : '3/4'} of RAM: tells the planner how much data the OS and shared_buffers can cache (allocates nothing)`,
  );
  const maintenance = Math.min(w === 'dw' ? Math.floor(totalKb / 8) : Math.floor(totalKb / 16), 8 * KB_PER.GB);
  mem(
    'maintenance_work_mem',
    maintenance,
    `${w === 'dw' ? '1/8' : '1/16'} of RAM, at most 8GB: faster VACUUM and index builds`,
  );
  if (maintenance >= 2 * KB_PER.GB) {
    mem(
      'autovacuum_work_mem',
      2 * KB_PER.GB,
      'caps each autovacuum worker at 2GB so several workers cannot exhaust memory',
    );
  }
  out.push({
    name: 'checkpoint_completion_target',
    value: '0.9',
    reason: 'spreads checkpoint writes over 90% of the interval (the default from 14)',
  });
  let walBuffers = Math.floor((3 * sharedBuffers) / 100);
  if (walBuffers > 16 * KB_PER.MB) walBuffers = 16 * KB_PER.MB;
  if (walBuffers > 14 * KB_PER.MB && walBuffers < 16 * KB_PER.MB) walBuffers = 16 * KB_PER.MB;
  if (walBuffers < 32) walBuffers = 32;
  mem('wal_buffers', walBuffers, '3% of shared_buffers, at most 16MB (the auto-tuning rule)');
  out.push({
    name: 'default_statistics_target',
    value: String(w === 'dw' ? 500 : 100),
    reason: w === 'dw' ? 'finer statistics for large analytical queries' : 'the default suits short queries',
  });
  out.push({
    name: 'random_page_cost',
    value: storage === 'hdd' ? '4' : '1.1',
    reason:
      storage === 'hdd'
        ? 'random reads are expensive on spinning disks'
        : `random reads cost about as much as sequential ones on ${storage}`,
  });
  out.push({
    name: 'effective_io_concurrency',
    value: String({ hdd: 2, ssd: 200, san: 300, nvme: 1000 }[storage]),
    reason: `concurrent I/O requests ${storage} storage can serve (bitmap heap scans, prefetching)`,
  });
  const [minWal, maxWal] = BY_WORKLOAD(w, {
    web: [1024, 4096],
    oltp: [2048, 8192],
    dw: [4096, 16384],
    desktop: [100, 2048],
    mixed: [1024, 4096],
  } as Record<Workload, [number, number]>);
  mem('min_wal_size', minWal * KB_PER.MB, 'WAL kept for reuse between checkpoints');
  mem(
    'max_wal_size',
    maxWal * KB_PER.MB,
    `room for ${w} write bursts between timed checkpoints (fewer requested checkpoints)`,
  );

  let workers = 8; // PostgreSQL's default max_worker_processes, used when there are fewer than 4 CPUs
  if (input.cpus !== undefined && input.cpus >= 4) {
    const cpus = input.cpus;
    workers = cpus;
    let perGather = Math.ceil(cpus / 2);
    if (w !== 'dw' && perGather > 4) perGather = 4;
    out.push({ name: 'max_worker_processes', value: String(cpus), reason: 'one background worker per CPU' });
    out.push({
      name: 'max_parallel_workers_per_gather',
      value: String(perGather),
      reason: `half the CPUs${w !== 'dw' ? ', at most 4 outside data warehousing' : ''}`,
    });
    out.push({ name: 'max_parallel_workers', value: String(cpus), reason: 'parallel query may use every CPU' });
    if (version >= 11) {
      out.push({
        name: 'max_parallel_maintenance_workers',
        value: String(Math.min(Math.ceil(cpus / 2), 4)),
        reason: 'parallel index builds: half the CPUs, at most 4',
      });
    }
  }
  // (RAM − shared_buffers) / ((max_connections + workers) × 3): each connection may use work_mem several times.
  const base = (totalKb - sharedBuffers) / ((connections + workers) * 3);
  let workMem = Math.floor(BY_WORKLOAD(w, { web: base, oltp: base, dw: base / 2, desktop: base / 6, mixed: base / 2 }));
  if (workMem < 4 * KB_PER.MB) workMem = 4 * KB_PER.MB;
  mem(
    'work_mem',
    workMem,
    `(RAM − shared_buffers) / ((max_connections + ${workers} workers) × 3)${w === 'dw' || w === 'mixed' ? ' / 2' : w === 'desktop' ? ' / 6' : ''}, at least 4MB`,
  );
  out.push({
    name: 'huge_pages',
    value: sharedBuffers >= 2 * KB_PER.GB ? 'try' : 'off',
    reason:
      sharedBuffers >= 2 * KB_PER.GB
        ? 'large shared_buffers: huge pages cut page-table overhead'
        : 'shared_buffers too small to benefit',
  });
  if (w === 'web' || w === 'oltp' || w === 'mixed') {
    out.push({
      name: 'jit',
      value: 'off',
      reason: 'JIT compilation costs more than it saves on short queries (see jit-time-share)',
    });
  }
  if (version >= 15)
    out.push({ name: 'wal_compression', value: 'lz4', reason: 'smaller full-page images in WAL at little CPU cost' });
  return out;
}

/** A recommendation compared with the live setting. */
export interface SettingDiff extends Recommendation {
  current: string | null;
  changed: boolean;
  /** True when the change needs a restart (pg_settings.context = postmaster). */
  restart: boolean;
}

/** Converts a live setting to kB (memory settings) for comparison. */
function liveKb(s: Setting): number | undefined {
  const n = Number(s.setting);
  if (!Number.isFinite(n)) return undefined;
  const factor: Record<string, number> = { kB: 1, '8kB': 8, MB: 1024, '16MB': 16 * 1024 };
  return s.unit && factor[s.unit] !== undefined ? n * factor[s.unit]! : undefined;
}

/** Diffs recommendations against pg_settings (memory compared in kB, numbers numerically, others as text). */
export function diffSettings(recs: readonly Recommendation[], live: ReadonlyMap<string, Setting>): SettingDiff[] {
  return recs.map((r) => {
    const s = live.get(r.name);
    if (!s) return { ...r, current: null, changed: true, restart: false };
    let current = `${s.setting}${s.unit && !['s', 'ms', 'min'].includes(s.unit) ? ` × ${s.unit}` : ''}`;
    let changed: boolean;
    if (r.kb !== undefined) {
      const kb = liveKb(s);
      changed = kb === undefined ? s.setting !== r.value : kb !== r.kb;
      if (kb !== undefined) current = formatKb(kb);
    } else if (Number.isFinite(Number(r.value)) && Number.isFinite(Number(s.setting))) {
      changed = Number(r.value) !== Number(s.setting);
      current = s.setting;
    } else {
      changed = r.value.toLowerCase() !== s.setting.toLowerCase();
      current = s.setting;
    }
    return { ...r, current, changed, restart: s.context === 'postmaster' };
  });
}
