import { CacheOptionsError } from './errors.js';

/**
 * A duration: milliseconds as a number, or a string with a unit (`'250ms'`, `'30s'`, `'5m'`, `'1h'`, `'1d'`).
 * Strings exist because `ttl: '10m'` is easier to review than `ttl: 600000`.
 */
export type Duration = number | string;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/**
 * Parses a {@link Duration} into whole milliseconds, once, when options are normalised, so the hot path only
 * ever sees numbers. Throws {@link CacheOptionsError} naming the option, because a typo in a TTL should fail
 * at start-up rather than silently cache forever.
 */
export function parseDuration(value: Duration, option: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new CacheOptionsError(option, `must be a finite number of milliseconds >= 0, got ${value}`);
    }
    return Math.round(value);
  }
  const match = DURATION_RE.exec(value.trim());
  if (match === null) {
    throw new CacheOptionsError(option, `must be milliseconds or a string like '30s', '5m', '1h', got '${value}'`);
  }
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}
