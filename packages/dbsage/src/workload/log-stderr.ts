import type { WorkloadAggregator } from './aggregate.js';
import { forEachLine, type LineOptions } from './log-lines.js';
import { type LogRecord, PRIMARY_SEVERITIES, SECONDARY_LABELS } from './log-record.js';

/**
 * The stderr log format (`log_destination = stderr`, with or without logging_collector): every line starts with
 * the `log_line_prefix`, then a severity marker (`LOG:  `, `ERROR:  `, `DETAIL:  `…, always followed by two
 * spaces), then the message. A message's own newlines continue on lines that start with a tab. The prefix is
 * whatever the server was configured with, so entries are found by their severity marker, not by the prefix.
 */

const PRIMARY = new Set<string>(PRIMARY_SEVERITIES);
const SECONDARY = new Set<string>(SECONDARY_LABELS);
const LABELS = new Set<string>([...PRIMARY_SEVERITIES, ...SECONDARY_LABELS]);

function isLabelChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
}

/**
 * Finds the severity marker of a line: the first `WORD:  ` whose WORD is a severity or a secondary label and is
 * not glued to a preceding word. Returns the label and the index where it starts, or null.
 */
export function findMarker(line: string): { label: string; index: number } | null {
  let from = 0;
  for (;;) {
    const colon = line.indexOf(':  ', from);
    if (colon === -1) return null;
    let start = colon;
    while (start > 0 && isLabelChar(line.charCodeAt(start - 1))) start--;
    if (colon - start >= 3) {
      const before = start > 0 ? line.charCodeAt(start - 1) : 32;
      const glued = (before >= 97 && before <= 122) || before === 95;
      const label = line.slice(start, colon);
      if (!glued && LABELS.has(label)) return { label, index: start };
    }
    from = colon + 1;
  }
}

/** Field a continuation line extends. */
enum Field {
  Message,
  Detail,
  Other,
}

/** Longest entry kept (characters): a runaway multi-line entry is skipped instead of growing memory. */
const MAX_ENTRY_CHARS = 32 * 1024 * 1024;

/**
 * Reads a stderr-format log, calling `onRecord` for each entry (with its DETAIL). Lines that are neither an
 * entry, a secondary line of one, nor a continuation are counted as skipped on the aggregator, which also gets
 * the number of lines read.
 */
export async function readStderrLog(
  source: AsyncIterable<Buffer | string>,
  agg: WorkloadAggregator,
  onRecord: (record: LogRecord) => void,
  options: LineOptions = {},
): Promise<void> {
  let current: LogRecord | null = null;
  let field = Field.Other;
  let size = 0;
  let oversized = false;
  const flush = () => {
    if (current !== null && !oversized) onRecord(current);
    current = null;
  };
  const lines = await forEachLine(
    source,
    (line, lineNo) => {
      if (line.length === 0) return;
      if (line.charCodeAt(0) === 9) {
        // Continuation of the entry's message or detail.
        if (current === null) {
          agg.skip(`line ${lineNo}: continuation line without an entry: ${line}`);
          return;
        }
        if (oversized) return;
        size += line.length;
        if (size > MAX_ENTRY_CHARS) {
          oversized = true;
          agg.skip(`line ${current.line}: entry longer than ${MAX_ENTRY_CHARS} characters`);
          return;
        }
        if (field === Field.Message) current.message += `\n${line.slice(1)}`;
        else if (field === Field.Detail) current.detail = `${current.detail ?? ''}\n${line.slice(1)}`;
        return;
      }
      const marker = findMarker(line);
      if (marker === null) {
        agg.skip(`line ${lineNo}: ${line}`);
        return;
      }
      const body = line.slice(marker.index + marker.label.length + 3);
      if (SECONDARY.has(marker.label)) {
        if (current === null) {
          agg.skip(`line ${lineNo}: ${marker.label} without an entry: ${line}`);
          return;
        }
        if (marker.label === 'DETAIL') {
          current.detail = body;
          field = Field.Detail;
        } else field = Field.Other;
        return;
      }
      flush();
      current = {
        line: lineNo,
        severity: marker.label,
        message: body,
        detail: null,
        prefix: line.slice(0, marker.index),
        fields: null,
        queryId: null,
      };
      field = Field.Message;
      size = line.length;
      oversized = false;
    },
    {
      ...options,
      onOversize: (lineNo, head) => agg.skip(`line ${lineNo}: line longer than the limit: ${head}`),
    },
  );
  flush();
  agg.read += lines;
}

/** True when the text looks like a stderr-format log line (a severity marker is found). */
export function looksLikeStderrLine(line: string): boolean {
  const m = findMarker(line);
  return m !== null && PRIMARY.has(m.label);
}
