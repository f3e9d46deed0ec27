/**
 * Human-readable numbers for titles and summaries. Evidence always keeps the raw number (bytes, seconds) next
 * to the text, so JSON consumers never parse "1.2 GB".
 */

/** `1536` → `1.5 kB`, in 1024 steps, PostgreSQL's unit names (kB, MB, GB, TB). */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} bytes` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** `3725` → `1h 2m`, `42.5` → `43s`. */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** A percentage with one decimal, as a number (for evidence). */
export function percent(part: number, whole: number): number {
  if (!whole) return 0;
  return Math.round((part / whole) * 1000) / 10;
}

/** Rounds to `digits` decimals (evidence stays readable without losing meaning). */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

const COUNT_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `123456789` → `123,456,789` (xid ages, row counts). */
export function formatCount(n: number): string {
  return COUNT_FORMAT.format(Math.round(n));
}

/** Parses a PostgreSQL memory setting value in its unit (`pg_settings.setting` + `unit`) into bytes. */
export function settingBytes(setting: string | undefined, unit: string | null | undefined): number | undefined {
  if (setting === undefined) return undefined;
  const n = Number(setting);
  if (!Number.isFinite(n)) return undefined;
  const factors: Record<string, number> = { B: 1, kB: 1024, '8kB': 8192, MB: 1024 ** 2, '16MB': 16 * 1024 ** 2 };
  return n * (unit ? (factors[unit] ?? 1) : 1);
}

/** A statement's text on one line, cut to `max` characters, so a finding's title names the statement. */
export function oneLine(query: string, max = 80): string {
  const text = query.replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
