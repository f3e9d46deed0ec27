import { detach, type WorkloadAggregator } from './aggregate.js';
import { type ShapeCache, splitStatementTexts } from './aggregate-shape.js';
import {
  type CompiledPrefix,
  guessPrefixFields,
  type LogRecord,
  type LogSessionFields,
  NO_SESSION_FIELDS,
  parseParameters,
  timestampMillis,
  traceIdOf,
} from './log-record.js';
import type { WorkloadEvent } from './types.js';

/**
 * Turns log entries into workload calls. Understands what `log_min_duration_statement`, `log_statement` and
 * `log_duration` write:
 * - `duration: 1.2 ms  statement: …` (simple protocol),
 * - `duration: 1.2 ms  execute <unnamed>: …` + `DETAIL:  parameters: $1 = '…'` (extended protocol; `parse` and
 *   `bind` durations are not executions and are not counted; `execute fetch from` adds time, not a call),
 * - `statement: …` / `execute …: …` without a duration (log_statement), and a later bare `duration: 1.2 ms` of
 *   the same session, which adds its time to that statement.
 * Everything else (connections, checkpoints, errors, auto_explain plans) is read and ignored.
 */

/** Options of the interpretation. */
export interface LogInterpretOptions {
  /** The server's `log_line_prefix`, for exact session fields (else they are guessed from common shapes). */
  logLinePrefix?: CompiledPrefix;
  /** Receives every executed statement in log order, with session, trace and parameters (N+1 detection). */
  onEvent?: (event: WorkloadEvent) => void;
  /** Keep transaction control, SET and catalog-only statements (default false). */
  keepExcluded?: boolean;
}

/** Pending statements of a session waiting for their `duration:` line: bounded, oldest dropped first. */
const MAX_PENDING_SESSIONS = 10_000;

/** Applies log entries to an aggregator. */
export class LogInterpreter {
  readonly #agg: WorkloadAggregator;
  readonly #shapes: ShapeCache;
  readonly #options: LogInterpretOptions;
  readonly #pending = new Map<string, string[]>();

  constructor(agg: WorkloadAggregator, shapes: ShapeCache, options: LogInterpretOptions = {}) {
    this.#agg = agg;
    this.#shapes = shapes;
    this.#options = options;
  }

  /** Interprets one entry. */
  handle(record: LogRecord): void {
    if (record.severity !== 'LOG') return;
    const msg = record.message;
    if (msg.startsWith('duration: ')) {
      const unit = msg.indexOf(' ms', 10);
      const duration = unit === -1 ? Number.NaN : Number(msg.slice(10, unit));
      if (!Number.isFinite(duration)) {
        this.#agg.skip(`line ${record.line}: unreadable duration: ${msg}`);
        return;
      }
      const rest = msg.slice(unit + 3);
      if (rest.trim() === '') {
        this.#bareDuration(record, duration);
        return;
      }
      if (!rest.startsWith('  ')) return;
      this.#command(record, rest.slice(2), duration);
      return;
    }
    if (msg.startsWith('statement: ') || msg.startsWith('execute ')) this.#command(record, msg, null);
  }

  /** `statement: …`, `execute <name>: …`, `execute fetch from <name>: …`; parse/bind and others are ignored. */
  #command(record: LogRecord, cmd: string, duration: number | null): void {
    if (cmd.startsWith('statement: ')) {
      this.#call(record, cmd.slice(11), duration, false, null);
      return;
    }
    if (!cmd.startsWith('execute ')) return;
    const colon = cmd.indexOf(': ', 8);
    if (colon === -1) {
      this.#agg.skip(`line ${record.line}: execute without statement text: ${cmd}`);
      return;
    }
    const fetch = cmd.startsWith('execute fetch from ');
    this.#call(record, cmd.slice(colon + 2), duration, fetch, record.detail);
  }

  #call(record: LogRecord, text: string, duration: number | null, fetch: boolean, detail: string | null): void {
    const shape = this.#shapes.shapeOf(text);
    if (!shape.ok) {
      this.#agg.skip(`line ${record.line}: statement does not parse (${shape.message}): ${text}`);
      return;
    }
    const parts = shape.parts;
    const onEvent = this.#options.onEvent;
    const keepExcluded = this.#options.keepExcluded === true;
    let texts: string[] | null = parts.length === 1 ? [text] : null;
    let params: (string | null)[] | null | undefined;
    let session: LogSessionFields | undefined;
    const share = duration === null ? null : duration / parts.length;
    const counted: string[] = [];
    const events: WorkloadEvent[] = [];
    for (let k = 0; k < parts.length; k++) {
      const part = parts[k]!;
      if (part.exclusion !== null && !keepExcluded) {
        this.#agg.exclude();
        continue;
      }
      const isNew = !this.#agg.has(part.fingerprint);
      if (isNew || onEvent) {
        texts ??= splitStatementTexts(text);
        // Events outlive the chunk of log they were read from: parse a copy (see detach()).
        if (params === undefined) params = parseParameters(onEvent && detail !== null ? detach(detail) : detail);
      }
      const statementText = texts?.[k] ?? text;
      this.#agg.add({
        fingerprint: part.fingerprint,
        query: part.query,
        example: isNew ? statementText : null,
        exampleParams: isNew ? (params ?? null) : null,
        calls: fetch ? 0 : 1,
        timeMillis: share,
        queryId: record.queryId,
      });
      counted.push(part.fingerprint);
      if (onEvent) {
        session ??= this.#session(record, true);
        const eventText = detach(statementText);
        const event: WorkloadEvent = {
          sessionId: session.sessionId ?? (session.pid === null ? null : `pid:${session.pid}`),
          traceId: traceIdOf(eventText),
          pid: session.pid,
          timestamp: session.timestamp,
          timestampMillis: timestampMillis(session.timestamp),
          applicationName: session.applicationName,
          virtualTransactionId: session.virtualTransactionId,
          transactionId: session.transactionId,
          fingerprint: part.fingerprint,
          query: part.query,
          text: eventText,
          durationMillis: share,
          params: params ?? null,
        };
        if (!fetch) events.push(event);
      }
    }
    if (duration === null && counted.length > 0) this.#remember(record, counted);
    if (onEvent) for (const e of events) onEvent(e);
  }

  /** Session fields of an entry; `keep` copies the prefix first when the fields outlive the chunk. */
  #session(record: LogRecord, keep = false): LogSessionFields {
    if (record.fields) return record.fields;
    if (record.prefix === null) return NO_SESSION_FIELDS;
    const prefix = keep ? detach(record.prefix) : record.prefix;
    const exact = this.#options.logLinePrefix?.parse(prefix);
    return exact ?? guessPrefixFields(prefix);
  }

  #sessionKey(record: LogRecord): string {
    const s = this.#session(record);
    return s.sessionId ?? (s.pid === null ? '' : `pid:${s.pid}`);
  }

  #remember(record: LogRecord, fingerprints: string[]): void {
    const key = this.#sessionKey(record);
    this.#pending.delete(key);
    if (this.#pending.size >= MAX_PENDING_SESSIONS) {
      const oldest = this.#pending.keys().next().value;
      if (oldest !== undefined) this.#pending.delete(oldest);
    }
    this.#pending.set(key, fingerprints);
  }

  #bareDuration(record: LogRecord, duration: number): void {
    const key = this.#sessionKey(record);
    const pending = this.#pending.get(key);
    if (!pending) return;
    this.#pending.delete(key);
    const share = duration / pending.length;
    for (const fp of pending) this.#agg.addTime(fp, share);
  }
}
