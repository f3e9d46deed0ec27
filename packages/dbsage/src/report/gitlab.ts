import { type Severity, sortFindings } from '../findings/finding.js';
import type { Report } from './render.js';

const SEVERITY: Record<Severity, 'info' | 'minor' | 'major' | 'critical' | 'blocker'> = {
  info: 'info',
  low: 'minor',
  medium: 'major',
  high: 'critical',
  critical: 'blocker',
};

/**
 * GitLab code quality report (a JSON array of CodeClimate-style issues: description, check_name, fingerprint,
 * severity, location.path + lines.begin), shown in merge request widgets when saved as a
 * `codequality` artifact. Findings about database objects point at the object name as their path.
 */
export function renderGitlab(report: Report): string {
  const issues = sortFindings(report.findings).map((f) => {
    const loc = f.location;
    return {
      description: `${f.title}: ${f.summary}`,
      check_name: f.ruleId,
      fingerprint: f.fingerprint,
      severity: SEVERITY[f.severity],
      location:
        loc && 'file' in loc
          ? { path: loc.file, lines: { begin: loc.line } }
          : { path: loc && 'object' in loc ? loc.object : 'database', lines: { begin: 1 } },
    };
  });
  return `${JSON.stringify(issues, null, 2)}\n`;
}
