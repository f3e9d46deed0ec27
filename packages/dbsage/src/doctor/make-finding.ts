import type { Category, Finding, Remediation, Severity } from '../findings/finding.js';
import { findingFingerprint } from '../findings/fingerprint.js';

/** What a check says about one object; {@link makeFinding} adds the fingerprint and location. */
export interface FindingInput {
  ruleId: string;
  category: Category;
  severity: Severity;
  title: string;
  summary: string;
  evidence: Record<string, unknown>;
  remediation?: Remediation;
  /** The object the finding is about, e.g. `public.orders`, `index public.orders_user_id_idx`, `pid 4242`. */
  object: string;
  /** Identity parts for the fingerprint (names, never measured numbers). */
  identity: readonly (string | number | undefined)[];
}

/** Builds a Finding with a stable fingerprint (rule id + identity) and an object location. */
export function makeFinding(input: FindingInput): Finding {
  return {
    ruleId: input.ruleId,
    category: input.category,
    severity: input.severity,
    title: input.title,
    summary: input.summary,
    evidence: input.evidence,
    ...(input.remediation ? { remediation: input.remediation } : {}),
    location: { object: input.object },
    fingerprint: findingFingerprint(input.ruleId, ...input.identity),
  };
}
