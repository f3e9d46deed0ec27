import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './ports.js';

/** Where Debian puts the PostgreSQL 15 server binaries. */
export const PG_BIN = process.env.DBSAGE_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** A throwaway PostgreSQL server owned by the test run. */
export interface TestPostgres {
  host: string;
  port: number;
  /** URL of the `postgres` maintenance database, superuser `postgres`, trust auth on 127.0.0.1 only. */
  adminUrl: string;
  dataDir: string;
  /** The server's stderr (pg_ctl -l): its log when logging_collector is off. */
  logFile: string;
  stop(): Promise<void>;
}

/** True when initdb and postgres exist on this machine. */
export function postgresAvailable(): boolean {
  return existsSync(join(PG_BIN, 'initdb')) && existsSync(join(PG_BIN, 'postgres'));
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** initdb and postgres refuse to run as root: run them as the `postgres` OS user then. */
function asPgUser(cmd: string, args: string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

function pgUid(): { uid: number; gid: number } | undefined {
  if (!isRoot) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

/**
 * Starts PostgreSQL 15 in a temp dir on a free port: pg_stat_statements preloaded, autovacuum on, fsync off
 * (throwaway data), trust auth on 127.0.0.1. Never touches the machine's own cluster.
 */
export async function startPostgres(extraConf: Record<string, string> = {}): Promise<TestPostgres> {
  const root = mkdtempSync(join(tmpdir(), 'dbsage-pg-'));
  const dataDir = join(root, 'data');
  const owner = pgUid();
  if (owner) chownSync(root, owner.uid, owner.gid);
  chmodSync(root, 0o700);
  const [initCmd, initArgs] = asPgUser(join(PG_BIN, 'initdb'), [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=trust',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  execFileSync(initCmd, initArgs, { stdio: 'pipe' });
  const port = await freePort();
  const conf: Record<string, string> = {
    listen_addresses: "'127.0.0.1'",
    port: String(port),
    unix_socket_directories: `'${root}'`,
    shared_preload_libraries: "'pg_stat_statements'",
    'pg_stat_statements.track': "'all'",
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: '100',
    shared_buffers: "'128MB'",
    max_prepared_transactions: '10',
    track_io_timing: 'on',
    log_min_messages: 'warning',
    ...extraConf,
  };
  writeFileSync(
    join(dataDir, 'postgresql.auto.conf'),
    Object.entries(conf)
      .map(([k, v]) => `${k} = ${v}`)
      .join('\n') + '\n',
  );
  if (owner) chownSync(join(dataDir, 'postgresql.auto.conf'), owner.uid, owner.gid);
  const host = '127.0.0.1';
  const adminUrl = `postgres://postgres@${host}:${port}/postgres`;
  // pg_ctl daemonises the server, so the test process holds no handle to it; -w waits until it accepts.
  const [cmd, args] = asPgUser(join(PG_BIN, 'pg_ctl'), [
    '-D',
    dataDir,
    '-l',
    join(root, 'server.log'),
    '-w',
    '-t',
    '60',
    'start',
  ]);
  try {
    execFileSync(cmd, args, { stdio: 'pipe' });
  } catch (error) {
    let log = '';
    try {
      log = readFileSync(join(root, 'server.log'), 'utf8').slice(-2000);
    } catch {}
    throw new Error(`test PostgreSQL did not start on port ${port}: ${log}`, { cause: error });
  }
  let stopped = false;
  return {
    host,
    port,
    adminUrl,
    dataDir,
    logFile: join(root, 'server.log'),
    async stop() {
      if (stopped) return;
      stopped = true;
      const [stopCmd, stopArgs] = asPgUser(join(PG_BIN, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      try {
        execFileSync(stopCmd, stopArgs, { stdio: 'ignore' });
      } catch {
        // already stopped
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * Creates database `name` on the server behind `adminUrl` (a URL ending in `/postgres`) and returns its URL with
 * an open client connected to it. The caller installs extensions and ends the client.
 */
export async function createDatabaseAt(adminUrl: string, name: string): Promise<{ url: string; admin: pg.Client }> {
  const server = new pg.Client({ connectionString: adminUrl });
  await server.connect();
  await server.query(`CREATE DATABASE ${name}`);
  await server.end();
  const url = adminUrl.replace(/\/postgres$/, `/${name}`);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  return { url, admin };
}
