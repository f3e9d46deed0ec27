import { UsageError } from '../../errors.js';

/**
 * Parsing of the advisor's command-line values, once, into documented units: budgets as a fraction of the
 * data size or as bytes, durations in milliseconds.
 */

/** A storage budget for new indexes. */
export type Budget = { kind: 'fraction'; fraction: number } | { kind: 'bytes'; bytes: number };

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  mb: 1024 ** 2,
  gb: 1024 ** 3,
  tb: 1024 ** 4,
};

/** `20%` → fraction 0.2 of the data size; `500MB`, `1.5GB`, `4096` (bytes) → bytes. */
export function parseBudget(text: string): Budget {
  const t = text.trim().toLowerCase();
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(t);
  if (pct) {
    const fraction = Number(pct[1]) / 100;
    if (fraction <= 0) throw new UsageError(`--budget must be positive, got "${text}"`);
    return { kind: 'fraction', fraction };
  }
  const size = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb)?$/.exec(t);
  if (size) {
    const bytes = Math.round(Number(size[1]) * (UNITS[size[2] ?? 'b'] ?? 1));
    if (bytes <= 0) throw new UsageError(`--budget must be positive, got "${text}"`);
    return { kind: 'bytes', bytes };
  }
  throw new UsageError(`--budget takes a percentage of the data size (20%) or a size (500MB), got "${text}"`);
}

/** The budget in bytes for a data size. */
export function budgetBytes(budget: Budget | undefined, dataBytes: number): number | null {
  if (!budget) return null;
  return budget.kind === 'bytes' ? budget.bytes : Math.floor(budget.fraction * dataBytes);
}

/** `60s`, `2m`, `500ms`, `90` (seconds) → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/.exec(text.trim().toLowerCase());
  if (!m) throw new UsageError(`expected a duration like 60s, 2m or 500ms, got "${text}"`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(unit === 'ms' ? n : unit === 'm' ? n * 60_000 : n * 1000);
}

/** Human-readable bytes (binary units), for titles and tables. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = -1;
  do {
    v /= 1024;
    u++;
  } while (v >= 1024 && u < units.length - 1);
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}
