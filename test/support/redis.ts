/**
 * Throwaway Redis servers for tests and benchmarks: each `redis-server` runs on a free port in its own temp
 * dir, without persistence (`--save "" --appendonly no`), bound to 127.0.0.1. Nothing here ever talks to
 * a Redis it did not start (the machine's own on 6379 is never touched), and every process started is
 * tracked so `stopAllRedis()` (call it in afterAll) and process exit end them.
 *
 * Generic on purpose: any package's tests may use `startRedisServer()`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort, servicesRequired } from './ports.js';

/** A running throwaway Redis server. */
export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Current process id (changes after restart). */
  readonly pid: number;
  /** Graceful stop (SIGTERM), waits for exit. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL, waits for exit: simulates a crash. */
  kill(): Promise<void>;
  /** Stops (if running) and starts again on the same port, empty. */
  restart(): Promise<void>;
  /** SIGSTOP: the server stops answering but connections stay open (a "slow" Redis). */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
}

/** Options for {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Extra `redis-server` arguments, e.g. `['--maxmemory', '64mb']`. */
  args?: string[];
  /** Port to use (default: a free one). Never 6379. */
  port?: number;
}

const running = new Set<ChildProcess>();
const tempDirs = new Set<string>();

function findBinary(name: string): string | undefined {
  const env = process.env[name === 'redis-server' ? 'DBSAGE_REDIS_SERVER' : 'DBSAGE_REDIS_CLI'];
  if (env !== undefined && existsSync(env)) return env;
  if (existsSync(`/usr/bin/${name}`)) return `/usr/bin/${name}`;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** True when `redis-server` and `redis-cli` are installed. */
export function redisAvailable(): boolean {
  return findBinary('redis-server') !== undefined && findBinary('redis-cli') !== undefined;
}

let skipAnnounced = false;

/**
 * For `describe.skipIf(!redisOrSkip())`: true when Redis can be started. When it cannot, prints one loud
 * skip line — or throws when `DBSAGE_REQUIRE_SERVICES=1` (CI), so a missing install fails the run.
 */
export function redisOrSkip(): boolean {
  if (redisAvailable()) return true;
  if (servicesRequired())
    throw new Error('redis-server/redis-cli not found and DBSAGE_REQUIRE_SERVICES=1: install redis-server');
  if (!skipAnnounced) {
    skipAnnounced = true;
    console.warn('\n*** SKIPPING Redis server-tier tests: redis-server not found (apt-get install redis-server) ***\n');
  }
  return false;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMillis = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts a throwaway `redis-server`; resolves once it answers PING. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = findBinary('redis-server');
  if (binary === undefined) throw new Error('redis-server not found: apt-get install redis-server');
  const port = options.port ?? (await freePort());
  if (port === 6379) throw new Error('refusing to start a test Redis on 6379 (the machine Redis port)');
  const dir = mkdtempSync(join(tmpdir(), 'dbsage-redis-'));
  tempDirs.add(dir);
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--daemonize',
    'no',
    '--logfile',
    join(dir, 'redis.log'),
    '--enable-debug-command',
    'local',
    ...(options.args ?? []),
  ];
  let child: ChildProcess;
  let paused = false;
  const spawnServer = async (): Promise<void> => {
    child = spawn(binary, args, { stdio: 'ignore', detached: false });
    running.add(child);
    child.once('exit', () => running.delete(child));
    await waitFor(() => ping(port), `redis-server on port ${port}`);
  };
  await spawnServer();
  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (paused) {
      child.kill('SIGCONT');
      paused = false;
    }
    child.kill(signal);
    await waitExit(child);
  };
  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child.pid ?? -1;
    },
    async stop() {
      await halt('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
      tempDirs.delete(dir);
    },
    kill: () => halt('SIGKILL'),
    async restart() {
      await halt('SIGKILL');
      await spawnServer();
    },
    pause() {
      paused = true;
      child.kill('SIGSTOP');
    },
    resume() {
      paused = false;
      child.kill('SIGCONT');
    },
  };
}

/** A running throwaway Redis Cluster. */
export interface RedisClusterHandle {
  /** Startup nodes for ioredis `new Cluster(nodes)`. */
  readonly nodes: { host: string; port: number }[];
  readonly servers: RedisServer[];
  stop(): Promise<void>;
}

function redisCli(args: string[]): Promise<string> {
  const cli = findBinary('redis-cli');
  if (cli === undefined) return Promise.reject(new Error('redis-cli not found'));
  return new Promise((resolve, reject) => {
    execFile(cli, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`redis-cli ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

/**
 * Starts a Redis Cluster of `masters` nodes (no replicas), joined with `redis-cli --cluster create`, and
 * waits until every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(options: { masters?: number } = {}): Promise<RedisClusterHandle> {
  const masters = options.masters ?? 3;
  const servers: RedisServer[] = [];
  try {
    for (let i = 0; i < masters; i++) {
      servers.push(
        await startRedisServer({
          args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'],
        }),
      );
    }
    await redisCli([
      '--cluster',
      'create',
      ...servers.map((s) => `127.0.0.1:${s.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    for (const s of servers) {
      await waitFor(
        async () => (await redisCli(['-p', String(s.port), 'cluster', 'info'])).includes('cluster_state:ok'),
        `cluster_state:ok on ${s.port}`,
        20_000,
      );
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()));
    throw error;
  }
  return {
    nodes: servers.map((s) => ({ host: s.host, port: s.port })),
    servers,
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}

/** Stops every server this module started (afterAll). */
export async function stopAllRedis(): Promise<void> {
  await Promise.all(
    [...running].map((child) => {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      return waitExit(child);
    }),
  );
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

process.once('exit', () => {
  for (const child of running) {
    try {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
