import type { Command } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../src/duration.js';
import {
  decodeEnvelope,
  ENVELOPE_HEADER_BYTES,
  type EntryMeta,
  encodeEnvelope,
  envelopeTagBytes,
  isFreshUntagged,
} from '../src/envelope.js';
import { deepFreeze } from '../src/freeze.js';
import { classify, decide, shouldRefreshEarly, type TagVersion, tagVerdict } from '../src/freshness.js';
import { KeyLayout } from '../src/keys.js';
import { Lru } from '../src/lru.js';
import type { RedisClient } from '../src/options.js';
import { RedisGateway } from '../src/redis-gateway.js';
import { decodeDefaultAt, defaultSerializer } from '../src/serializer.js';

const meta = (over: Partial<EntryMeta> = {}): EntryMeta => ({
  freshUntil: 1_000,
  staleUntil: 2_000,
  loadMillis: 100,
  tagEpoch: 5,
  tags: [],
  softInvalidated: false,
  ...over,
});

describe('freshness state machine', () => {
  it('classifies by time: fresh, then stale within grace, then dead', () => {
    expect(classify(meta(), 999, 'valid')).toBe('fresh');
    expect(classify(meta(), 1_000, 'valid')).toBe('stale');
    expect(classify(meta(), 1_999, 'valid')).toBe('stale');
    expect(classify(meta(), 2_000, 'valid')).toBe('dead');
  });

  it('soft invalidation (flag or tag) makes a fresh entry stale; hard tag invalidation makes it dead', () => {
    expect(classify(meta({ softInvalidated: true }), 0, 'valid')).toBe('stale');
    expect(classify(meta(), 0, 'soft')).toBe('stale');
    expect(classify(meta(), 0, 'hard')).toBe('dead');
    expect(classify(meta({ staleUntil: 1_000 }), 0, 'soft')).toBe('stale');
    expect(classify(meta({ softInvalidated: true, staleUntil: 0 }), 0, 'valid')).toBe('dead');
  });

  it('decides: serve, serve and refresh early, load with stale fallback, load', () => {
    expect(decide('fresh', false)).toBe('serve');
    expect(decide('fresh', true)).toBe('serve-and-refresh');
    expect(decide('stale', false)).toBe('load-with-stale');
    expect(decide('dead', false)).toBe('load');
    expect(decide(undefined, false)).toBe('load');
  });

  it('compares tag versions with the entry epoch (counters, no clocks)', () => {
    const versions = new Map<string, TagVersion>([
      ['a', { soft: 3, hard: 3 }],
      ['b', { soft: 7, hard: 0 }],
      ['c', { soft: 9, hard: 9 }],
    ]);
    expect(tagVerdict(meta({ tags: ['a'] }), versions)).toBe('valid');
    expect(tagVerdict(meta({ tags: ['a', 'b'] }), versions)).toBe('soft');
    expect(tagVerdict(meta({ tags: ['b', 'c'] }), versions)).toBe('hard');
    expect(tagVerdict(meta({ tags: ['zzz'] }), versions)).toBe('unknown');
    // an invalidation at the same epoch the loader read happened before the load: still valid
    expect(tagVerdict(meta({ tags: ['a'], tagEpoch: 3 }), versions)).toBe('valid');
  });

  it('XFetch fires with rising probability towards expiry, never when disabled', () => {
    const m = meta({ freshUntil: 10_000, loadMillis: 100 });
    const rate = (now: number): number => {
      let fired = 0;
      for (let i = 1; i <= 1000; i++) if (shouldRefreshEarly(m, now, 1, i / 1000)) fired++;
      return fired / 1000;
    };
    expect(rate(5_000)).toBe(0);
    expect(rate(9_900)).toBeGreaterThan(0.3); // within one delta of expiry: e^-1 ≈ 0.37
    expect(rate(9_990)).toBeGreaterThan(rate(9_900));
    expect(rate(10_000)).toBe(1);
    expect(shouldRefreshEarly(m, 9_999, 0, 0.0001)).toBe(false);
  });
});

describe('Lru', () => {
  it('evicts least recently used by entries and by bytes', () => {
    const lru = new Lru<number>(3, 100);
    const evicted: string[] = [];
    lru.onEvict = (k) => evicted.push(k);
    lru.set('a', 1, 10);
    lru.set('b', 2, 10);
    lru.set('c', 3, 10);
    lru.get('a');
    lru.set('d', 4, 10);
    expect(evicted).toEqual(['b']);
    expect([...lru.keys()]).toEqual(['d', 'a', 'c']);
    lru.set('e', 5, 75);
    expect(evicted).toEqual(['b', 'c']);
    expect(lru.bytes).toBe(95);
    expect(lru.size).toBe(3);
    lru.set('huge', 6, 1000);
    expect(lru.peek('huge')).toBeUndefined();
    expect(lru.size).toBe(0);
  });
});

describe('defaultSerializer', () => {
  it('round-trips Date, BigInt, Map, Set, Buffer, undefined and plain JSON', () => {
    const value = {
      d: new Date('2024-01-02T03:04:05.678Z'),
      n: 12345678901234567890n,
      m: new Map<string, unknown>([['k', { x: 1 }]]),
      s: new Set([1, 'two']),
      b: Buffer.from('hello'),
      u: undefined,
      nested: [{ ok: true, nul: null }],
    };
    const back = defaultSerializer.decode(defaultSerializer.encode(value)) as typeof value;
    expect(back).toEqual(value);
    expect(back.d).toBeInstanceOf(Date);
    expect(Buffer.isBuffer(back.b)).toBe(true);
    expect(typeof back.n).toBe('bigint');
    expect('u' in back).toBe(true);
  });

  it('uses plain JSON (format J) for plain data and v8 (format V) otherwise', () => {
    expect(defaultSerializer.encode({ a: [1, 'x', null] })[0]).toBe(0x4a);
    expect(defaultSerializer.encode({ a: new Date(0) })[0]).toBe(0x56);
    expect(defaultSerializer.encode({ a: Number.NaN })[0]).toBe(0x56);
  });

  it('rejects functions with E_SERIALIZATION', () => {
    expect(() => defaultSerializer.encode({ f: () => 1 })).toThrow(
      expect.objectContaining({ code: 'E_SERIALIZATION' }),
    );
  });
});

describe('deepFreeze', () => {
  it('freezes objects, arrays, Map, Set and Date, and reports binary data as not shareable', () => {
    const v = { a: [{ b: 1 }], m: new Map([[1, 2]]), s: new Set([1]), d: new Date(0) };
    expect(deepFreeze(v)).toBe(true);
    expect(() => {
      (v.a[0] as { b: number }).b = 2;
    }).toThrow(TypeError);
    expect(() => v.m.set(3, 4)).toThrow(TypeError);
    expect(() => v.s.add(2)).toThrow(TypeError);
    expect(() => v.d.setTime(5)).toThrow(TypeError);
    expect(v.m.get(1)).toBe(2);
    expect(deepFreeze({ b: Buffer.from('x') })).toBe(false);
  });
});

describe('envelope and keys', () => {
  it('round-trips metadata and tags, and addresses the flags byte at offset 1', () => {
    const m = meta({ tags: ['user:1', 'org:2'], loadMillis: 42 });
    const bytes = encodeEnvelope(m, Buffer.from('payload'));
    const back = decodeEnvelope(bytes)!;
    expect(back.meta).toEqual(m);
    expect(back.payload.toString()).toBe('payload');
    bytes[1] = 1; // what the Lua soft invalidation does with SETRANGE
    expect(decodeEnvelope(bytes)!.meta.softInvalidated).toBe(true);
    expect(decodeEnvelope(Buffer.from('garbage'))).toBeUndefined();
  });

  it('keeps a key, its lease, waiters and generation under one hash tag', () => {
    const k = new KeyLayout('ns');
    expect(k.all('user:1')).toEqual(['ns:v{user:1}', 'ns:l{user:1}', 'ns:w{user:1}', 'ns:g{user:1}']);
    expect(k.all('}x')[0]).toBe('ns:v{~}x}');
    expect(() => k.value('')).toThrow(expect.objectContaining({ code: 'E_INVALID_KEY' }));
    for (const key of ['user:1', '}x', 'a}b{c']) expect(k.value(key)).toBe(k.all(key)[0]);
    expect(() => new KeyLayout('a{b}')).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }));
  });

  it('parses durations', () => {
    expect(parseDuration(250, 'x')).toBe(250);
    expect(parseDuration('30s', 'x')).toBe(30_000);
    expect(parseDuration('1.5m', 'x')).toBe(90_000);
    expect(() => parseDuration('soon', 'defaults.ttl')).toThrow(/defaults\.ttl/);
  });
});

describe('L2 read in place', () => {
  it('reads tag length, freshness and payload from the envelope bytes as decodeEnvelope does', () => {
    const payload = defaultSerializer.encode({ a: 1, when: new Date(5) });
    for (const m of [
      meta(),
      meta({ softInvalidated: true }),
      meta({ tags: ['t1', 'tag-2'] }),
      meta({ freshUntil: 10_000 }),
    ]) {
      const bytes = encodeEnvelope(m, payload);
      const decoded = decodeEnvelope(bytes)!;
      const tagBytes = envelopeTagBytes(bytes);
      expect(tagBytes === 0).toBe(decoded.meta.tags.length === 0);
      expect(decodeDefaultAt(bytes, ENVELOPE_HEADER_BYTES + tagBytes)).toEqual(
        defaultSerializer.decode(decoded.payload),
      );
      if (tagBytes === 0) {
        for (const now of [0, 999, 1_000, 9_999, 10_000]) {
          expect(isFreshUntagged(bytes, now)).toBe(classify(decoded.meta, now, 'valid') === 'fresh');
        }
      }
    }
    expect(envelopeTagBytes(Buffer.from('not an envelope at all, just some bytes'))).toBe(-1);
    expect(envelopeTagBytes(encodeEnvelope(meta({ tags: ['t'] }), payload).subarray(0, 32))).toBe(-1);
  });
});

describe('RedisGateway GET timeouts', () => {
  /** A client double: commands are kept, answered or failed by the test. */
  function fakeClient(): { client: RedisClient; sent: Command[] } {
    const sent: Command[] = [];
    const client = { options: {}, status: 'ready', sendCommand: (c: Command) => sent.push(c) };
    return { client: client as unknown as RedisClient, sent };
  }
  const settle = (c: Command, v: unknown): void => (c as unknown as { resolve(v: unknown): void }).resolve(v);

  it('rejects unanswered GETs after the timeout, however many are outstanding, and ignores late replies', async () => {
    const { client, sent } = fakeClient();
    const gateway = new RedisGateway(client, undefined, 40);
    const replies = Array.from({ length: 300 }, (_, i) => gateway.get(`k${i}`).then(String, (e: Error) => e.name));
    for (const c of sent.slice(0, 100)) settle(c, Buffer.from('v'));
    const early = await Promise.race([Promise.all(replies), new Promise((r) => setTimeout(() => r('pending'), 20))]);
    expect(early).toBe('pending');
    const out = await Promise.all(replies);
    expect(out.slice(0, 100).every((v) => v === 'v')).toBe(true);
    expect(out.slice(100).every((v) => v === 'CacheRedisTimeoutError')).toBe(true);
    settle(sent[200]!, Buffer.from('late'));
  });

  it('a rejected GET at the head does not keep answered GETs behind it', async () => {
    const { client, sent } = fakeClient();
    const gateway = new RedisGateway(client, undefined, 10_000);
    const first = gateway.get('k0').catch((e: Error) => e.message);
    (sent[0] as unknown as { reject(e: Error): void }).reject(new Error('WRONGTYPE'));
    expect(await first).toContain('WRONGTYPE');
    for (let i = 1; i < 5_000; i++) {
      const p = gateway.get(`k${i}`);
      settle(sent[i]!, Buffer.from('v'));
      await p;
    }
    // the ring holds the rejected command and at most a ring's worth of answered ones, not 5,000
    expect(gateway.trackedGets).toBeLessThan(256);
  });
});
