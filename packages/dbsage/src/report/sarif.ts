import { type Severity, sortFindings } from '../findings/finding.js';
import type { Report } from './render.js';

const LEVEL: Record<Severity, 'note' | 'warning' | 'error'> = {
  info: 'note',
  low: 'note',
  medium: 'warning',
  high: 'error',
  critical: 'error',
};

/** SARIF 2.1.0 (GitHub code scanning and most CI viewers read it). */
export function renderSarif(report: Report): string {
  const findings = sortFindings(report.findings);
  const ruleIds = [...new Set(findings.map((f) => f.ruleId))].sort();
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'dbsage',
            informationUri: 'https://www.npmjs.com/package/dbsage',
            rules: ruleIds.map((id) => ({
              id,
              shortDescription: { text: findings.find((f) => f.ruleId === id)?.title ?? id },
              helpUri: `https://www.npmjs.com/package/dbsage#${id}`,
            })),
          },
        },
        results: findings.map((f) => {
          const loc = f.location;
          return {
            ruleId: f.ruleId,
            level: LEVEL[f.severity],
            message: { text: `${f.title}. ${f.summary}` },
            partialFingerprints: { dbsage: f.fingerprint },
            properties: { severity: f.severity, category: f.category, evidence: f.evidence },
            ...(loc && 'file' in loc
              ? {
                  locations: [
                    {
                      physicalLocation: {
                        artifactLocation: { uri: loc.file },
                        region: { startLine: loc.line, startColumn: loc.column },
                      },
                    },
                  ],
                }
              : loc && 'object' in loc
                ? { locations: [{ logicalLocations: [{ fullyQualifiedName: loc.object }] }] }
                : {}),
          };
        }),
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
