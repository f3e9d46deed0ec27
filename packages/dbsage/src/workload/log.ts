import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError } from '../errors.js';
import { loadParser } from '../sql/parser.js';
import { WorkloadAggregator } from './aggregate.js';
import { ShapeCache } from './aggregate-shape.js';
import { readCsvLog } from './log-csv.js';
import { LogInterpreter } from './log-interpret.js';
import { readJsonLog } from './log-json.js';
import { compileLogLinePrefix, type LogRecord } from './log-record.js';
import { looksLikeStderrLine, readStderrLog } from './log-stderr.js';
import type { Workload, WorkloadEvent } from './types.js';

/**
 * PostgreSQL server logs as a workload: stderr (any `log_line_prefix`), csvlog and jsonlog, plain or gzipped.
 * The file is streamed and aggregated per fingerprint as it is read, so memory stays bounded by the number of
 * statement shapes, not the size of the log. `Workload.read` counts the lines of the log.
 */

/** Log formats PostgreSQL writes. */
export const LOG_FORMATS = ['stderr', 'csvlog', 'jsonlog'] as const;
/** A format from {@link LOG_FORMATS}. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** True when the value is a {@link LogFormat}. */
export function isLogFormat(value: unknown): value is LogFormat {
  return typeof value === 'string' && (LOG_FORMATS as readonly string[]).includes(value);
}

/** Options of {@link readLogWorkload}. */
export interface LogWorkloadOptions {
  /** The log's format; detected from its content (then its extension) when absent. */
  format?: LogFormat;
  /** The server's `log_line_prefix` (stderr), for exact session fields; common shapes are guessed otherwise. */
  logLinePrefix?: string;
  /** Receives every executed statement in log order (sessions, trace ids, parameters): the N+1 detector's input. */
  onEvent?: (event: WorkloadEvent) => void;
  /** Keep transaction control, SET and catalog-only statements (default false). */
  keepExcluded?: boolean;
  signal?: AbortSignal;
  /** Bound of the shape cache (default 50 000 shapes). */
  shapeCacheEntries?: number;
}

/** How many bytes are looked at to detect a log's format. */
const SNIFF_BYTES = 64 * 1024;
const CSV_START = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?(?: [A-Za-z0-9+:-]+)?,/;

/**
 * The format of a log from its first lines: a JSON object is jsonlog, a line starting `timestamp,` is csvlog, a
 * line with a severity marker is stderr; when the content says nothing, the extension decides (`.csv`, `.json`).
 */
export function detectLogFormat(head: string, fileName = ''): LogFormat {
  const lines = head.split('\n', 50);
  // The last line of a sniffed head may be cut short: look at it only when it is the only one.
  const complete = lines.length > 1 ? lines.slice(0, -1) : lines;
  for (const raw of complete) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('{')) return 'jsonlog';
    if (CSV_START.test(line)) return 'csvlog';
    if (looksLikeStderrLine(line)) return 'stderr';
  }
  const ext = extname(fileName.replace(/\.gz$/i, '')).toLowerCase();
  if (ext === '.csv') return 'csvlog';
  if (ext === '.json') return 'jsonlog';
  return 'stderr';
}

/** Opens a log (gunzipping `.gz` content), returning its chunks and its format. */
export async function openLog(
  file: string,
  format?: LogFormat,
): Promise<{ chunks: AsyncIterable<Buffer>; format: LogFormat }> {
  let gzip = false;
  try {
    const fh = await open(file, 'r');
    try {
      const magic = Buffer.alloc(2);
      const { bytesRead } = await fh.read(magic, 0, 2, 0);
      gzip = bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
    } finally {
      await fh.close();
    }
  } catch (error) {
    throw new InputError(`cannot read log ${file}: ${(error as Error).message}`, { cause: error, context: { file } });
  }
  // 64 KiB chunks: their decoded strings stay in V8's young generation and die there; 1 MiB chunks go to the
  // large-object space, which only a full GC frees (measured: 40 MB more peak RSS, slower).
  const raw = createReadStream(file, { highWaterMark: 64 << 10 });
  let stream: Readable = raw;
  if (gzip) {
    const gunzip = createGunzip({ chunkSize: 64 << 10 });
    raw.on('error', (error) => gunzip.destroy(error));
    stream = raw.pipe(gunzip);
  }
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let size = 0;
  if (format === undefined) {
    while (size < SNIFF_BYTES) {
      const r = await it.next();
      if (r.done) break;
      head.push(r.value);
      size += r.value.length;
    }
  }
  const detected = format ?? detectLogFormat(Buffer.concat(head).subarray(0, SNIFF_BYTES).toString('utf8'), file);
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      yield* head;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    } finally {
      await it.return?.();
    }
  }
  return { chunks: chunks(), format: detected };
}

/** Feeds every entry of a log to `onRecord`. */
async function readRecords(
  file: string,
  agg: WorkloadAggregator,
  onRecord: (record: LogRecord) => void,
  options: LogWorkloadOptions,
): Promise<LogFormat> {
  const { chunks, format } = await openLog(file, options.format);
  const lineOptions = options.signal ? { signal: options.signal } : {};
  try {
    if (format === 'csvlog') await readCsvLog(chunks, agg, onRecord, lineOptions);
    else if (format === 'jsonlog') await readJsonLog(chunks, agg, onRecord, lineOptions);
    else await readStderrLog(chunks, agg, onRecord, lineOptions);
  } catch (error) {
    if (error instanceof Error && error.name === 'AbortError') throw error;
    if (error instanceof InputError) throw error;
    throw new InputError(`cannot read log ${file}: ${(error as Error).message}`, { cause: error, context: { file } });
  }
  return format;
}

/**
 * Reads a PostgreSQL log into a workload: one statement per fingerprint with calls, total and mean time and one
 * example with its parameters. Lines that cannot be read are counted in `skipped` (with a few samples) and never
 * stop the read; statements that do not parse are skipped the same way.
 */
export async function readLogWorkload(file: string, options: LogWorkloadOptions = {}): Promise<Workload> {
  await loadParser();
  const agg = new WorkloadAggregator();
  const interpreter = new LogInterpreter(agg, new ShapeCache(options.shapeCacheEntries), {
    ...(options.logLinePrefix ? { logLinePrefix: compileLogLinePrefix(options.logLinePrefix) } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.keepExcluded ? { keepExcluded: true } : {}),
  });
  await readRecords(file, agg, (r) => interpreter.handle(r), options);
  return agg.toWorkload('log');
}

/** Options of {@link loadLogSessions}. */
export interface LogSessionsOptions extends Omit<LogWorkloadOptions, 'onEvent'> {
  /** Group by backend session (default) or by request trace id (statements without one are left out). */
  groupBy?: 'session' | 'trace';
  /** Stop collecting after this many events (memory guard; default 5 000 000). */
  maxEvents?: number;
}

/**
 * Per-session (or per-trace) ordered statement streams of a log that carries session or trace ids, plus the
 * workload. Holds the events in memory: for logs larger than that, pass `onEvent` to {@link readLogWorkload}
 * and group as they stream by.
 */
export async function loadLogSessions(
  file: string,
  options: LogSessionsOptions = {},
): Promise<{ sessions: Map<string, WorkloadEvent[]>; workload: Workload; truncated: boolean }> {
  const sessions = new Map<string, WorkloadEvent[]>();
  const max = options.maxEvents ?? 5_000_000;
  let count = 0;
  let truncated = false;
  const byTrace = options.groupBy === 'trace';
  const workload = await readLogWorkload(file, {
    ...options,
    onEvent: (event) => {
      const key = byTrace ? event.traceId : event.sessionId;
      if (key === null) return;
      if (count >= max) {
        truncated = true;
        return;
      }
      count++;
      let list = sessions.get(key);
      if (!list) {
        list = [];
        sessions.set(key, list);
      }
      list.push(event);
    },
  });
  return { sessions, workload, truncated };
}
