import { sortFindings } from '../findings/finding.js';
import type { Report } from './render.js';

/** JSON: an array of findings in the schema (stable order), nothing else, so it pipes into jq. */
export function renderJson(report: Report): string {
  return `${JSON.stringify(sortFindings(report.findings), null, 2)}\n`;
}
