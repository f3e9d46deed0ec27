import { SEVERITIES, type Severity, sortFindings } from '../findings/finding.js';
import type { RenderOptions, Report } from './render.js';

const CODES: Record<string, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  gray: [90, 39],
};

function painter(color: boolean) {
  return (style: keyof typeof CODES, text: string) => {
    if (!color) return text;
    const [open, close] = CODES[style]!;
    return `\u001b[${open}m${text}\u001b[${close}m`;
  };
}

const SEVERITY_STYLE: Record<Severity, keyof typeof CODES> = {
  critical: 'magenta',
  high: 'red',
  medium: 'yellow',
  low: 'blue',
  info: 'gray',
};

function evidenceLine(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/** Terminal report: grouped by severity, colour unless NO_COLOR, source line with a caret for file findings. */
export function renderTty(report: Report, options: RenderOptions): string {
  const c = painter(options.color);
  const out: string[] = [c('bold', report.title) + (report.target ? c('dim', ` — ${report.target}`) : '')];
  for (const note of report.notes ?? []) out.push(c('yellow', `note: ${note}`));
  const findings = sortFindings(report.findings);
  // Each source is split once, however many findings point into it.
  const sourceLines = new Map<string, string[]>();
  for (const severity of [...SEVERITIES].reverse()) {
    const group = findings.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    out.push('', c(SEVERITY_STYLE[severity], c('bold', `${severity.toUpperCase()} (${group.length})`)));
    for (const f of group) {
      const loc = f.location;
      const where = loc ? ('file' in loc ? `${loc.file}:${loc.line}:${loc.column}` : loc.object) : '';
      out.push(`  ${c(SEVERITY_STYLE[severity], '●')} ${c('bold', f.title)} ${c('dim', `[${f.ruleId}]`)}`);
      if (where) out.push(`    ${c('cyan', where)}`);
      if (loc && 'file' in loc) {
        let lines = sourceLines.get(loc.file);
        if (!lines) {
          lines = report.sources?.get(loc.file)?.split('\n') ?? [];
          sourceLines.set(loc.file, lines);
        }
        const line = lines[loc.line - 1];
        if (line !== undefined) {
          out.push(`    ${c('dim', `${loc.line} |`)} ${line}`);
          out.push(
            `    ${' '.repeat(String(loc.line).length + 2)} ${' '.repeat(Math.max(0, loc.column - 1))}${c('red', '^')}`,
          );
        }
      }
      out.push(`    ${f.summary}`);
      out.push(`    ${c('gray', 'fingerprint:')} ${c('dim', f.fingerprint)}`);
      const ev = Object.entries(f.evidence).slice(0, 6);
      for (const [k, v] of ev) out.push(`    ${c('gray', `${k}:`)} ${evidenceLine(v)}`);
      const fixText = f.remediation?.sql ?? f.remediation?.code;
      if (fixText) {
        const sql = fixText.split('\n');
        out.push(`    ${c('gray', 'fix:')} ${c('cyan', sql[0]!)}`);
        for (const l of sql.slice(1, 8)) out.push(`         ${c('cyan', l)}`);
        if (sql.length > 8) out.push(`         ${c('dim', `… ${sql.length - 8} more lines`)}`);
      } else if (f.remediation?.steps?.[0]) {
        out.push(`    ${c('gray', 'fix:')} ${f.remediation.steps[0]}`);
      }
    }
  }
  const notRun = (report.outcomes ?? []).filter((o) => o.status !== 'ok');
  if (notRun.length > 0) {
    out.push('', c('bold', 'Not run'));
    for (const o of notRun) out.push(`  ${c('dim', '○')} ${o.analyzerId} (${o.status}): ${o.reason ?? ''}`);
  }
  const counts = SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length] as const).filter(
    ([, n]) => n,
  );
  out.push(
    '',
    findings.length === 0
      ? c('bold', 'No findings.')
      : c('bold', `${findings.length} findings: `) +
          counts
            .reverse()
            .map(([s, n]) => c(SEVERITY_STYLE[s], `${n} ${s}`))
            .join(', '),
  );
  return `${out.join('\n')}\n`;
}
