import { createHash } from 'node:crypto';

/**
 * Stable fingerprint for a finding: a short hash of the rule id and the identity of the object it is about.
 * Pass identity parts only (schema, table, index name, statement fingerprint), never measured numbers, so the
 * fingerprint survives a re-run and suppressions keep working.
 */
export function findingFingerprint(ruleId: string, ...identity: readonly (string | number | undefined)[]): string {
  // One update with the whole input (the same digest as updating part by part, with fewer native calls).
  let input = ruleId;
  for (const part of identity) input += `\u0000${part ?? ''}`;
  return `${ruleId}:${createHash('sha256').update(input).digest('hex').slice(0, 16)}`;
}
