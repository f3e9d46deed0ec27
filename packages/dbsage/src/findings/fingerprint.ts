import { createHash } from 'node:crypto';

/**
 * Stable fingerprint for a finding: a short hash of the rule id and the identity of the object it is about.
 * Pass identity parts only (schema, table, index name, statement fingerprint), never measured numbers, so the
 * fingerprint survives a re-run and suppressions keep working.
 */
export function findingFingerprint(ruleId: string, ...identity: readonly (string | number | undefined)[]): string {
  const hash = createHash('sha256');
  hash.update(ruleId);
  for (const part of identity) hash.update(`\u0000${part ?? ''}`);
  return `${ruleId}:${hash.digest('hex').slice(0, 16)}`;
}
