/**
 * The bytes stored in Redis for one cache entry: a fixed 32-byte header the Lua scripts and readers can
 * address by offset, the entry's tags, then the serializer's payload.
 *
 * | offset | size | field                                                                    |
 * | ------ | ---- | ------------------------------------------------------------------------ |
 * | 0      | 1    | layout version (1)                                                        |
 * | 1      | 1    | flags: bit 0 = soft-invalidated (set in place by `SETRANGE key 1 \x01`)   |
 * | 2      | 8    | freshUntil, float64 LE, ms since epoch (writer's clock)                   |
 * | 10     | 8    | staleUntil, float64 LE: end of the grace period                           |
 * | 18     | 4    | loadMillis, uint32 LE: how long the loader took (XFetch's delta)          |
 * | 22     | 8    | tagEpoch, float64 LE: namespace tag epoch read before the loader started  |
 * | 30     | 2    | byte length of the tags section, uint16 LE                                |
 * | 32     | n    | tags, UTF-8, separated by NUL                                             |
 * | 32+n   | …    | payload                                                                   |
 *
 * Expiry compares the writer's wall clock with the reader's, which is only as good as NTP (milliseconds);
 * correctness of invalidation never depends on clocks (generations and tag epochs are counters).
 */

/** Layout version written in byte 0. */
export const ENVELOPE_VERSION = 1;
/** Offset of the flags byte; the Lua soft-invalidation writes here. */
export const FLAGS_OFFSET = 1;
/** Flag bit: soft-invalidated (treat as stale, keep for grace). */
export const FLAG_SOFT_INVALIDATED = 0x01;
/** Size of the fixed header; the tags section follows it. */
export const ENVELOPE_HEADER_BYTES = 32;
const HEADER_BYTES = ENVELOPE_HEADER_BYTES;

/** Metadata of an entry, shared by L1 and L2. */
export interface EntryMeta {
  /** Fresh while `now < freshUntil`. */
  freshUntil: number;
  /** Servable as stale (grace) while `now < staleUntil`. */
  staleUntil: number;
  /** Loader duration in ms, for probabilistic early refresh. */
  loadMillis: number;
  /** Tag epoch observed before the value was computed; a tag invalidated later has a higher version. */
  tagEpoch: number;
  /** Tags attached to the entry. */
  tags: readonly string[];
  /** Soft-invalidated by `expire()`: stale, but usable within grace. */
  softInvalidated: boolean;
}

/** A decoded envelope: metadata plus the serializer payload (a view into the original buffer). */
export interface DecodedEnvelope {
  meta: EntryMeta;
  payload: Buffer;
}

const NO_TAGS: readonly string[] = Object.freeze([]);

/** Builds the stored bytes. */
export function encodeEnvelope(meta: EntryMeta, payload: Buffer): Buffer {
  const tags = meta.tags.length === 0 ? undefined : Buffer.from(meta.tags.join('\0'), 'utf8');
  const tagBytes = tags === undefined ? 0 : tags.length;
  const out = Buffer.allocUnsafe(HEADER_BYTES + tagBytes + payload.length);
  out[0] = ENVELOPE_VERSION;
  out[1] = meta.softInvalidated ? FLAG_SOFT_INVALIDATED : 0;
  out.writeDoubleLE(meta.freshUntil, 2);
  out.writeDoubleLE(meta.staleUntil, 10);
  out.writeUInt32LE(Math.min(0xffffffff, Math.max(0, Math.round(meta.loadMillis))), 18);
  out.writeDoubleLE(meta.tagEpoch, 22);
  out.writeUInt16LE(tagBytes, 30);
  if (tags !== undefined) tags.copy(out, HEADER_BYTES);
  payload.copy(out, HEADER_BYTES + tagBytes);
  return out;
}

/** Parses the header; returns undefined for bytes that are not an envelope of this layout (treated as a miss). */
export function decodeEnvelope(bytes: Buffer): DecodedEnvelope | undefined {
  if (bytes.length < HEADER_BYTES || bytes[0] !== ENVELOPE_VERSION) return undefined;
  const tagBytes = bytes.readUInt16LE(30);
  if (HEADER_BYTES + tagBytes > bytes.length) return undefined;
  const tags = tagBytes === 0 ? NO_TAGS : bytes.toString('utf8', HEADER_BYTES, HEADER_BYTES + tagBytes).split('\0');
  return {
    meta: {
      freshUntil: bytes.readDoubleLE(2),
      staleUntil: bytes.readDoubleLE(10),
      loadMillis: bytes.readUInt32LE(18),
      tagEpoch: bytes.readDoubleLE(22),
      tags,
      softInvalidated: ((bytes[1] ?? 0) & FLAG_SOFT_INVALIDATED) !== 0,
    },
    payload: bytes.subarray(HEADER_BYTES + tagBytes),
  };
}

/**
 * The byte length of an envelope's tags section, read in place: 0 for an untagged entry, -1 for bytes that
 * are not an envelope of this layout (a miss).
 */
export function envelopeTagBytes(bytes: Buffer): number {
  if (bytes.length < HEADER_BYTES || bytes[0] !== ENVELOPE_VERSION) return -1;
  const tagBytes = bytes[30]! | (bytes[31]! << 8);
  return HEADER_BYTES + tagBytes > bytes.length ? -1 : tagBytes;
}

/**
 * For an untagged envelope (see {@link envelopeTagBytes}): fresh at `now`, read in place without decoding
 * the header — what `classify(decodeEnvelope(bytes).meta, now, 'valid') === 'fresh'` says, without allocating.
 */
export function isFreshUntagged(bytes: Buffer, now: number): boolean {
  return (bytes[1]! & FLAG_SOFT_INVALIDATED) === 0 && now < bytes.readDoubleLE(2);
}
