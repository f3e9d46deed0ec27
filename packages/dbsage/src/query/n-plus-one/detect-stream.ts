/**
 * The N+1 rule over one request's (or one trace's, or one session's) statements, after Sentry's N+1 detector:
 * at least `minRepeats` executions of the same statement shape following a parent statement, taking at least
 * `minTotalMillis` together. Runtime instrumentation and logs feed it the same events.
 */

/** One executed statement in order. */
export interface StreamEvent {
  /** Shape identity (same for statements that differ only in constants/parameters). */
  fingerprint: string;
  /** Statement text as executed (with `$n` placeholders when it had parameters). */
  query: string;
  params: readonly unknown[] | null;
  /** Execution time; null when the source did not record it. */
  durationMillis: number | null;
  /** Rows returned, when the source saw them (runtime instrumentation). */
  rows?: readonly Record<string, unknown>[] | null;
  rowCount?: number | null;
}

/** Thresholds of the N+1 rule, with Sentry's defaults. */
export interface NPlusOneRuleOptions {
  /** Same-shape executions after one parent from which it is an N+1. Default 5. */
  minRepeats?: number;
  /** Their total time from which it is reported, ms. Default 50. Events without durations skip this test. */
  minTotalMillis?: number;
}

/** One N+1 found in a stream. */
export interface StreamNPlusOne {
  parent: StreamEvent;
  child: {
    fingerprint: string;
    query: string;
    count: number;
    /** Sum of the children's durations; null when none was recorded. */
    totalMillis: number | null;
    params: (readonly unknown[] | null)[];
  };
}

/** Default thresholds. */
export const DEFAULT_N_PLUS_ONE_RULE = { minRepeats: 5, minTotalMillis: 50 } as const;

/**
 * Applies the rule to a stream. For every shape repeated at least `minRepeats` times, the parent is the nearest
 * earlier statement of another shape that is not itself repeated; the children counted are those between that
 * parent and its next execution (a paginated loop yields one finding per page).
 */
export function detectInStream(events: readonly StreamEvent[], options: NPlusOneRuleOptions = {}): StreamNPlusOne[] {
  const minRepeats = options.minRepeats ?? DEFAULT_N_PLUS_ONE_RULE.minRepeats;
  const minTotal = options.minTotalMillis ?? DEFAULT_N_PLUS_ONE_RULE.minTotalMillis;
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.fingerprint, (counts.get(e.fingerprint) ?? 0) + 1);
  const out: StreamNPlusOne[] = [];
  for (const [fp, n] of counts) {
    if (n < minRepeats) continue;
    let i = events.findIndex((e) => e.fingerprint === fp);
    while (i >= 0 && i < events.length) {
      let p = i - 1;
      while (p >= 0 && (events[p]!.fingerprint === fp || (counts.get(events[p]!.fingerprint) ?? 0) >= minRepeats)) p--;
      if (p < 0) break;
      const parent = events[p]!;
      let end = events.length;
      for (let j = i; j < events.length; j++) {
        if (events[j]!.fingerprint === parent.fingerprint) {
          end = j;
          break;
        }
      }
      const children = events.slice(i, end).filter((e) => e.fingerprint === fp);
      const durations = children.map((c) => c.durationMillis).filter((d): d is number => d !== null);
      const total = durations.length ? durations.reduce((a, b) => a + b, 0) : null;
      if (children.length >= minRepeats && (total === null || total >= minTotal)) {
        out.push({
          parent,
          child: {
            fingerprint: fp,
            query: children[0]!.query,
            count: children.length,
            totalMillis: total,
            params: children.map((c) => c.params),
          },
        });
      }
      const next = events.findIndex((e, j) => j >= end && e.fingerprint === fp);
      i = next;
    }
  }
  return out;
}
