/**
 * The measured process of `npm run bench:instrument` (see run.ts): plain Node on the compiled library
 * (packages/dbsage/dist, built by the parent), as an application runs it, instead of TypeScript through tsx: the
 * loader thread and tsx's transforms are then not part of what is measured.
 *
 *   node child.mjs --child VARIANT URL                  driven by run.ts over IPC
 *   node child.mjs --instructions-child VARIANT URL N W  under callgrind (run.ts --instructions)
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { hostname, loadavg } from 'node:os';
import pg from 'pg';

const ROUND_QUERIES = Number(process.env.BENCH_ROUND_QUERIES ?? 250);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const PER_REQUEST = Number(process.env.BENCH_PER_REQUEST ?? 10);
/** Development aid: BENCH_PAIRED_SCOPE=none measures the paired child with another hook-free scope. */
const PAIRED_OPTIONS = process.env.BENCH_PAIRED_SCOPE ? { scope: process.env.BENCH_PAIRED_SCOPE } : {};
const LIBRARY = '../../packages/dbsage/dist/instrument.js';

/** One round: `n` queries by CONCURRENCY workers, PER_REQUEST per request scope. */
async function round(pool, n, scope) {
  let next = 0;
  const u0 = process.cpuUsage();
  const started = performance.now();
  const worker = async () => {
    while (next < n) {
      const start = next;
      next += PER_REQUEST;
      await scope(async () => {
        for (let i = start; i < Math.min(start + PER_REQUEST, n); i++) await pool.query('SELECT $1::int AS v', [i]);
      });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const wallMillis = performance.now() - started;
  const u = process.cpuUsage(u0);
  return { wallMillis, cpuMillis: (u.user + u.system) / 1000, sysMillis: u.system / 1000 };
}

async function child(variant, url) {
  const pool = new pg.Pool({ connectionString: url, max: CONCURRENCY });
  let nPlusOneReports = 0;
  let requestReports = 0;
  let attributedQueries = 0;
  let totalQueries = 0;
  let scope = (fn) => fn();
  let restore = () => undefined;
  let paired;
  if (variant === 'loaded') {
    // a control: dbsage and its SQL parser loaded, nothing instrumented (what the library's presence costs)
    const { loadParser } = await import('../../packages/dbsage/dist/sql/parser.js');
    await import(LIBRARY);
    await loadParser();
  } else if (variant !== 'bare' && variant !== 'bare-b') {
    // imported only here: the bare processes do not even load dbsage
    const { instrument } = await import(LIBRARY);
    const callbacks = {
      onNPlusOne: () => nPlusOneReports++,
      onRequestEnd: (r) => {
        requestReports++;
        attributedQueries += r.queries;
      },
    };
    if (variant === 'paired') {
      // bare and default turns in this one process, adjacent, order alternating: valid because the default scope
      // enables no async hook (Node < 24: 'continuation'; Node ≥ 24: AsyncLocalStorage on continuation data).
      // Two identically configured pools, the second instrumented for the process's life.
      const instrumentedPool = new pg.Pool({ connectionString: url, max: CONCURRENCY });
      const inst = instrument(instrumentedPool, { ...callbacks, ...PAIRED_OPTIONS });
      const instScope = (fn) => inst.runInRequest(fn);
      restore = () => {
        inst.restore();
        void instrumentedPool.end();
      };
      paired = async (n, r) => {
        const out = {};
        for (const which of r % 2 === 0 ? ['bare', 'inst'] : ['inst', 'bare']) {
          if (which === 'bare') out.bare = await round(pool, n, (fn) => fn());
          else out.inst = await round(instrumentedPool, n, instScope);
        }
        return out;
      };
    } else if (variant === 'app-als' || variant === 'external') {
      const appAls = new AsyncLocalStorage();
      let id = 0;
      const inst = variant === 'external' ? instrument(pool, { scope: appAls, ...callbacks }) : null;
      scope = inst
        ? (fn) => appAls.run({ id: ++id }, () => inst.runInRequest(fn))
        : (fn) => appAls.run({ id: ++id }, fn);
      if (inst) restore = () => inst.restore();
    } else {
      const inst = instrument(pool, {
        ...(variant === 'scope-none' ? { scope: 'none' } : variant === 'als' ? { scope: 'als' } : {}),
        ...callbacks,
      });
      scope = (fn) => inst.runInRequest(fn);
      restore = () => inst.restore();
    }
  }
  process.on('message', (msg) => {
    if (msg.stop) {
      restore();
      void pool.end().then(() => {
        process.send({ done: true, nPlusOneReports, requestReports, attributedQueries, totalQueries }, () =>
          process.exit(0),
        );
      });
      return;
    }
    totalQueries += msg.n;
    if (paired) {
      void paired(msg.n, msg.round ?? 0).then((r) => process.send(r));
      return;
    }
    void round(pool, msg.n, scope).then((r) => process.send(r));
  });
  process.send({ ready: true });
}

/**
 * Under callgrind: `n` queries after `warm` (in rounds, back to back), with collection zeroed by os.hostname()
 * and dumped by os.loadavg() around them, so the count covers exactly the measured queries.
 */
async function instructionsChild(variant, url, n, warm) {
  const pool = new pg.Pool({ connectionString: url, max: CONCURRENCY });
  let scope = (fn) => fn();
  if (variant !== 'bare') {
    const { instrument } = await import(LIBRARY);
    const inst = instrument(pool, { ...(variant === 'scope-none' ? { scope: 'none' } : {}), onRequestEnd() {} });
    scope = (fn) => inst.runInRequest(fn);
  }
  for (let q = 0; q < warm; q += ROUND_QUERIES) await round(pool, ROUND_QUERIES, scope);
  hostname(); // callgrind --zero-before
  for (let q = 0; q < n; q += ROUND_QUERIES) await round(pool, ROUND_QUERIES, scope);
  loadavg(); // callgrind --dump-before
  if (process.env.BENCH_DIAG_CLONE === '1') {
    // diagnostic (run.ts adds --allow-natives-syntax): the feedback of pg's row building, on stdout
    const { default: Result } = await import('pg/lib/result.js');
    new Function('f', '%DebugPrint(f)')(Result.prototype.parseRow);
  }
  await pool.end();
}

const at = process.argv.indexOf('--child');
const ic = process.argv.indexOf('--instructions-child');
if (at >= 0) await child(process.argv[at + 1], process.argv[at + 2]);
else if (ic >= 0) {
  const [v, url, n, warm] = process.argv.slice(ic + 1);
  await instructionsChild(v, url, Number(n), Number(warm));
} else throw new Error('child.mjs is started by run.ts');
