/**
 * The ingesting process of the workload benchmark (run as a child so its peak RSS is its own): reads one log
 * and prints a JSON summary with wall time and `maxRSS` on stdout. Mode `lines` only splits lines (the I/O and
 * decoding floor that the full ingest is compared against).
 */
import { createReadStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { readLogWorkload } from '../../packages/dbsage/src/workload/log.js';
import { forEachLine } from '../../packages/dbsage/src/workload/log-lines.js';

const [mode, file] = process.argv.slice(2);
if (!file || (mode !== 'ingest' && mode !== 'lines')) throw new Error('usage: ingest.ts ingest|lines FILE');

const started = performance.now();
let summary: Record<string, unknown>;
if (mode === 'lines') {
  let chars = 0;
  const lines = await forEachLine(createReadStream(file, { highWaterMark: 64 << 10 }), (line) => {
    chars += line.length;
  });
  summary = { lines, chars };
} else {
  const workload = await readLogWorkload(file, { format: 'stderr' });
  summary = {
    read: workload.read,
    shapes: workload.statements.length,
    calls: workload.statements.reduce((a, s) => a + s.calls, 0),
    totalTimeMillis: workload.statements.reduce((a, s) => a + s.totalTimeMillis, 0),
    skipped: workload.skipped.count,
    skippedSamples: workload.skipped.samples,
    excluded: workload.excluded ?? 0,
    withParams: workload.statements.filter((s) => s.exampleParams !== null).length,
    top: workload.statements.slice(0, 3).map((s) => ({ query: s.query.slice(0, 80), calls: s.calls })),
  };
}
const wallMillis = performance.now() - started;
// maxRSS is in kilobytes: the peak resident set of this whole process (parser WASM and tsx included).
const maxRssBytes = process.resourceUsage().maxRSS * 1024;
process.stdout.write(`${JSON.stringify({ mode, wallMillis, maxRssBytes, ...summary })}\n`);
