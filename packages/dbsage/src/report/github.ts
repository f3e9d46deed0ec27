import { type Severity, sortFindings } from '../findings/finding.js';
import type { Report } from './render.js';

const COMMAND: Record<Severity, 'error' | 'warning' | 'notice'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'notice',
  info: 'notice',
};

/** Escapes workflow-command data (`%`, CR, LF). */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes workflow-command property values (also `:` and `,`). */
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * GitHub Actions workflow commands (`::error file=…,line=…,col=…,title=…::message`): each finding becomes an
 * annotation on the pull request's diff, with no upload step.
 */
export function renderGithub(report: Report): string {
  const lines: string[] = [];
  for (const f of sortFindings(report.findings)) {
    const props: string[] = [];
    const loc = f.location;
    if (loc && 'file' in loc) {
      props.push(`file=${escapeProperty(loc.file)}`, `line=${loc.line}`, `col=${loc.column}`);
    }
    props.push(`title=${escapeProperty(`${f.ruleId}: ${f.title}`)}`);
    const where = loc && 'object' in loc ? ` (${loc.object})` : '';
    lines.push(`::${COMMAND[f.severity]} ${props.join(',')}::${escapeData(`${f.summary}${where}`)}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
