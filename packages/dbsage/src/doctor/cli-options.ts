import { readFileSync } from 'node:fs';
import { InputError, UsageError } from '../errors.js';

/**
 * Parses the doctor's per-check options from the command line (`--option check.key=value`, repeatable) and an
 * optional JSON file (`{ "slow-queries": { "minMeanMillis": 50 } }`); the command line wins. Values stay
 * strings here; each check's schema converts and validates them.
 */
export function parseCheckOptions(pairs: readonly string[], file?: string): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new InputError(
        `cannot read options file ${file}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new InputError(`options file ${file} must hold an object keyed by check id`);
    }
    for (const [id, value] of Object.entries(parsed)) {
      if (typeof value !== 'object' || value === null)
        throw new InputError(`options of ${id} in ${file} must be an object`);
      out[id] = { ...(value as Record<string, unknown>) };
    }
  }
  for (const pair of pairs) {
    const m = /^([a-z0-9-]+)\.([A-Za-z0-9]+)=(.*)$/.exec(pair);
    if (!m)
      throw new UsageError(`--option takes check.option=value (e.g. slow-queries.minMeanMillis=50), got "${pair}"`);
    out[m[1]!] = { ...(out[m[1]!] ?? {}), [m[2]!]: m[3]! };
  }
  return out;
}

/** Commander collector for repeatable flags. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `a,b, c` → `['a','b','c']`. */
export function idList(value: string | undefined): string[] | undefined {
  return value === undefined
    ? undefined
    : value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
}
