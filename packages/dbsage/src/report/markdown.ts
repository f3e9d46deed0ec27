import { SEVERITIES, sortFindings } from '../findings/finding.js';
import type { Report } from './render.js';

function fence(lang: string, body: string): string {
  return `\`\`\`${lang}\n${body.trimEnd()}\n\`\`\``;
}

function location(f: { location?: unknown }): string | undefined {
  const loc = f.location as { file?: string; line?: number; column?: number; object?: string } | undefined;
  if (!loc) return undefined;
  return loc.file ? `${loc.file}:${loc.line}:${loc.column}` : loc.object;
}

/** Markdown: every finding with its evidence and remediation, grouped by severity. */
export function renderMarkdown(report: Report): string {
  const out: string[] = [`# ${report.title}`, ''];
  if (report.target) out.push(`Target: \`${report.target}\``, '');
  const findings = sortFindings(report.findings);
  const counts = SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .reverse();
  out.push(
    findings.length === 0
      ? 'No findings.'
      : `**${findings.length} findings**: ${counts.map(([s, n]) => `${n} ${s}`).join(', ')}`,
    '',
  );
  for (const note of report.notes ?? []) out.push(`> ${note}`, '');
  for (const f of findings) {
    out.push(`## [${f.severity}] ${f.title}`, '');
    out.push(`\`${f.ruleId}\` · ${f.category}${location(f) ? ` · \`${location(f)}\`` : ''}`, '');
    out.push(f.summary, '');
    const evidence = Object.entries(f.evidence);
    if (evidence.length > 0) {
      out.push('**Evidence**', '');
      for (const [k, v] of evidence) {
        const text = typeof v === 'string' ? v : JSON.stringify(v);
        out.push(text.includes('\n') ? `- ${k}:\n\n${fence('', text)}\n` : `- ${k}: \`${text}\``);
      }
      out.push('');
    }
    if (f.impact) out.push('**Impact**', '', fence('json', JSON.stringify(f.impact, null, 2)), '');
    if (f.remediation) {
      out.push('**Remediation**', '');
      if (f.remediation.steps) for (const s of f.remediation.steps) out.push(`1. ${s}`);
      if (f.remediation.steps) out.push('');
      if (f.remediation.sql) out.push(fence('sql', f.remediation.sql), '');
      if (f.remediation.code) out.push(fence('ts', f.remediation.code), '');
    }
    out.push(`<sub>fingerprint \`${f.fingerprint}\`</sub>`, '');
  }
  const unknown = (report.outcomes ?? []).filter((o) => o.status !== 'ok');
  if (unknown.length > 0) {
    out.push('## Checks that did not run', '');
    for (const o of unknown) out.push(`- \`${o.analyzerId}\` (${o.status}): ${o.reason ?? ''}`);
    out.push('');
  }
  return out.join('\n');
}
