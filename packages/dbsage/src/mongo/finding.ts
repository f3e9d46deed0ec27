import type { Finding, FindingLocation, Impact, Remediation, Severity } from '../findings/finding.js';
import { findingFingerprint } from '../findings/fingerprint.js';
import type { MongoOrigin } from './types.js';

/** What a MongoDB rule fills in; category and fingerprint are added here. */
export interface MongoFindingInput {
  ruleId: `mongo-${string}`;
  severity: Severity;
  title: string;
  summary: string;
  evidence: Record<string, unknown>;
  /** Object identity for the fingerprint (collection, path, index name…), never numbers. */
  identity: readonly (string | number | undefined)[];
  remediation?: Remediation;
  impact?: Impact;
  location?: FindingLocation;
}

/** Builds a `mongo` category finding with a stable fingerprint. */
export function mongoFinding(input: MongoFindingInput): Finding {
  const { identity, ...rest } = input;
  return {
    ...rest,
    category: 'mongo',
    fingerprint: findingFingerprint(input.ruleId, ...identity),
  };
}

/** A finding location for an origin: file:line for files, the object name for live sources. */
export function originLocation(origin: MongoOrigin | undefined, object: string): FindingLocation {
  if (origin && 'file' in origin) return { file: origin.file, line: origin.line, column: 1 };
  return { object };
}

/** Bytes as a short human figure for titles (`2.3 MB`); evidence keeps exact bytes. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${bytes} B`;
}

/** Shell reference to a collection: `db.orders`, or `db.getCollection("audit-2024")` when not a bare name. */
export function collectionRef(name: string): string {
  return /^[A-Za-z_][\w]*$/.test(name) ? `db.${name}` : `db.getCollection(${JSON.stringify(name)})`;
}
