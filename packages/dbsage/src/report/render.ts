import type { Finding } from '../findings/finding.js';
import type { AnalyzerOutcome } from '../findings/registry.js';
import { renderGithub } from './github.js';
import { renderGitlab } from './gitlab.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import { renderSarif } from './sarif.js';
import { renderTty } from './tty.js';

/** Output formats of `--format`. */
export const FORMATS = ['tty', 'json', 'markdown', 'sarif', 'github', 'gitlab'] as const;
export type Format = (typeof FORMATS)[number];

/** Runtime check for a format name. */
export function isFormat(value: unknown): value is Format {
  return typeof value === 'string' && (FORMATS as readonly string[]).includes(value);
}

/** What every renderer receives. */
export interface Report {
  /** Title of the report, e.g. `dbsage doctor`. */
  title: string;
  /** Redacted target description. */
  target?: string;
  findings: readonly Finding[];
  /** Analyzers that ran, with "unknown"/"skipped" reasons. */
  outcomes?: readonly AnalyzerOutcome[];
  /** Free-form notes shown above the findings (e.g. capability limits). */
  notes?: readonly string[];
  /** Source texts by file, so the tty renderer can show the offending line with a caret. */
  sources?: ReadonlyMap<string, string>;
}

/** Options of the renderers. */
export interface RenderOptions {
  color: boolean;
}

/** Renders a report in one format. */
export function render(report: Report, format: Format, options: RenderOptions): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'markdown':
      return renderMarkdown(report);
    case 'sarif':
      return renderSarif(report);
    case 'tty':
      return renderTty(report, options);
    case 'github':
      return renderGithub(report);
    case 'gitlab':
      return renderGitlab(report);
  }
}
