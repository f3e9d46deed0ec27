import { Redis } from 'ioredis';
import type { RedisClient } from './options.js';

/** A decoded bus message. */
export type BusMessage =
  | { sender: string; type: 'd' | 's'; sentAt: number; keys: string[] }
  | { sender: string; type: 'w'; sentAt: number; key: string }
  | { sender: string; type: 't'; sentAt: number; epoch: number; hard: boolean; tags: string[] }
  | { sender: string; type: 'c'; sentAt: number };

/** Callbacks from the bus to the cache. */
export interface BusHandlers {
  message(message: BusMessage): void;
  /** The subscription is gone: messages may be missed from now on. */
  down(): void;
  /** Subscribed again: messages flow; anything sent in between was missed. */
  up(reconnected: boolean): void;
}

/**
 * Invalidation bus: one dedicated subscriber connection, which the cache creates (a duplicate of the
 * command connection, or for a Cluster a plain connection to one master — cluster PUBLISH reaches every
 * node) and therefore closes. Messages carry keys, tags and counters, never values.
 *
 * Pub/sub is at-most-once: while the subscriber is disconnected, messages are lost. So the bus reports
 * `down` the moment the connection closes and `up` only after SUBSCRIBE is confirmed again
 * (autoResubscribe is off to know exactly when), and the cache flushes and bypasses L1 in between.
 */
export class Bus {
  readonly #channel: string;
  readonly #handlers: BusHandlers;
  #sub: Redis | undefined;
  #connected = false;
  #everConnected = false;
  #closed = false;
  #subscribing: Promise<void> | undefined;

  constructor(channel: string, handlers: BusHandlers) {
    this.#channel = channel;
    this.#handlers = handlers;
  }

  /** Whether messages are currently being received. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Opens the subscriber connection; resolves once subscribed (or rejects if the first attempt fails). */
  start(client: RedisClient): Promise<void> {
    const sub = createSubscriber(client);
    this.#sub = sub;
    sub.on('message', (_channel: string, raw: string) => {
      const message = parseMessage(raw);
      if (message !== undefined) this.#handlers.message(message);
    });
    sub.on('close', () => this.#markDown());
    sub.on('end', () => this.#markDown());
    sub.on('error', () => {
      // connection errors surface as 'close'; listening here keeps ioredis from logging unhandled errors
    });
    sub.on('ready', () => {
      this.#subscribe().catch(() => {
        // a failed SUBSCRIBE leaves the bus down; the next reconnect tries again
      });
    });
    return new Promise<void>((resolve, reject) => {
      const onReady = (): void => {
        cleanup();
        resolve();
      };
      const onFail = (error: unknown): void => {
        cleanup();
        reject(error);
      };
      const timer = setTimeout(() => onFail(new Error('bus subscription timed out')), 10_000);
      timer.unref();
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(onReady);
      };
      this.#waiters.add(onReady);
      if (this.#connected) onReady();
    });
  }

  readonly #waiters = new Set<() => void>();

  async #subscribe(): Promise<void> {
    const sub = this.#sub;
    if (sub === undefined || this.#closed) return;
    if (this.#subscribing !== undefined) return this.#subscribing;
    this.#subscribing = (async () => {
      try {
        await sub.subscribe(this.#channel);
        if (this.#closed) return;
        const reconnected = this.#everConnected;
        this.#connected = true;
        this.#everConnected = true;
        this.#handlers.up(reconnected);
        for (const waiter of [...this.#waiters]) waiter();
      } finally {
        this.#subscribing = undefined;
      }
    })();
    return this.#subscribing;
  }

  #markDown(): void {
    if (!this.#connected) return;
    this.#connected = false;
    this.#handlers.down();
  }

  /** Closes the subscriber connection (always ours). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#connected = false;
    const sub = this.#sub;
    this.#sub = undefined;
    if (sub === undefined) return;
    try {
      await sub.quit();
    } catch {
      sub.disconnect();
    }
  }
}

function createSubscriber(client: RedisClient): Redis {
  const override = { autoResubscribe: false, enableOfflineQueue: true, maxRetriesPerRequest: null, lazyConnect: false };
  if (client.isCluster !== true) return (client as Redis).duplicate(override);
  // Cluster: PUBLISH is broadcast to every node, so one connection to any node hears the whole namespace.
  const cluster = client as import('ioredis').Cluster;
  const node = cluster.nodes('master')[0] ?? cluster.nodes()[0];
  if (node === undefined) throw new Error('Redis Cluster has no known node yet: wait for its ready event');
  const { host, port, username, password, tls } = node.options;
  return new Redis({ host, port, username, password, tls, ...override });
}

function parseMessage(raw: string): BusMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== 'string') return undefined;
  const [sender, type, sentAt] = parsed as [string, string, number];
  switch (type) {
    case 'd':
    case 's':
      return Array.isArray(parsed[3]) ? { sender, type, sentAt, keys: parsed[3] as string[] } : undefined;
    case 'w':
      return typeof parsed[3] === 'string' ? { sender, type, sentAt, key: parsed[3] } : undefined;
    case 't':
      // cjson encodes an empty Lua table as {}: tags are never empty here, but guard anyway
      return {
        sender,
        type,
        sentAt,
        epoch: Number(parsed[3]),
        hard: parsed[4] === 1,
        tags: Array.isArray(parsed[5]) ? (parsed[5] as string[]) : [],
      };
    case 'c':
      return { sender, type, sentAt };
    default:
      return undefined;
  }
}

/** Encodes a key-list message (`d` / `s`). */
export function keysMessage(sender: string, type: 'd' | 's', keys: readonly string[]): string {
  return JSON.stringify([sender, type, Date.now(), keys]);
}

/** Encodes a lease wake-up message. */
export function wakeMessage(sender: string, key: string): string {
  return JSON.stringify([sender, 'w', Date.now(), key]);
}

/** Encodes a namespace clear message. */
export function clearMessage(sender: string): string {
  return JSON.stringify([sender, 'c', Date.now()]);
}
