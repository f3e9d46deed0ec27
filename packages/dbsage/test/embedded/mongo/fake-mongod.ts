/**
 * A tiny in-process MongoDB wire-protocol server for tests: no MongoDB server can be installed on the machines
 * this project is built on, so the real driver talks to this instead. It speaks OP_QUERY/OP_REPLY (the driver's
 * first handshake) and OP_MSG (everything after), answers each command from fixture files of server replies,
 * serves cursor batches through getMore, and records every command so tests can assert what was sent.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { type Document, deserialize, EJSON, Long, serialize } from 'bson';

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;

/** One command the server received. */
export interface ReceivedCommand {
  name: string;
  db: string;
  body: Document;
  opCode: number;
}

/** A running fake server. */
export interface FakeMongod {
  readonly port: number;
  readonly uri: string;
  readonly commands: ReceivedCommand[];
  close(): Promise<void>;
}

function cstring(buf: Buffer, offset: number): [string, number] {
  const end = buf.indexOf(0, offset);
  return [buf.toString('utf8', offset, end), end + 1];
}

function header(length: number, requestId: number, responseTo: number, opCode: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(requestId, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

/** Starts the server on 127.0.0.1 (free port), answering from `fixtureDir`. */
export async function startFakeMongod(fixtureDir: string): Promise<FakeMongod> {
  const commands: ReceivedCommand[] = [];
  const cursors = new Map<string, Document[]>();
  let nextRequestId = 1;
  let connectionId = 0;
  const load = (file: string): Document[] | undefined => {
    try {
      return EJSON.parse(readFileSync(join(fixtureDir, file), 'utf8'), { relaxed: false }) as Document[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };
  /** First reply of a recorded conversation; later ones are queued for getMore by cursor id. */
  const conversation = (file: string): Document => {
    const replies = load(file);
    if (!replies) return { ok: 0, errmsg: `no fixture ${file}`, code: 59, codeName: 'CommandNotFound' };
    const [first, ...rest] = replies;
    const id = (first!.cursor as Document | undefined)?.id;
    if (id instanceof Long && !id.isZero()) cursors.set(id.toString(), rest);
    return first!;
  };
  const answer = (body: Document, db: string, conn: number): Document => {
    const name = Object.keys(body)[0]!;
    switch (name) {
      case 'hello':
      case 'isMaster':
      case 'ismaster':
        return { ...load('hello.json')![0]!, connectionId: conn, localTime: new Date() };
      case 'ping':
      case 'endSessions':
        return { ok: 1 };
      case 'killCursors': {
        for (const id of (body.cursors as Long[]) ?? []) cursors.delete(id.toString());
        return { cursorsKilled: body.cursors ?? [], cursorsNotFound: [], cursorsAlive: [], cursorsUnknown: [], ok: 1 };
      }
      case 'listCollections':
        return conversation('listCollections.json');
      case 'listIndexes':
        return conversation(`listIndexes.${String(body.listIndexes)}.json`);
      case 'aggregate': {
        const first = ((body.pipeline as Document[]) ?? [])[0] ?? {};
        return conversation(`aggregate.${String(body.aggregate)}.${Object.keys(first)[0] ?? 'empty'}.json`);
      }
      case 'find':
        return conversation(`find.${String(body.find)}.json`);
      case 'getMore': {
        const id = (body.getMore as Long).toString();
        const queue = cursors.get(id);
        const next = queue?.shift();
        if (!next) return { ok: 0, errmsg: `cursor id ${id} not found`, code: 43, codeName: 'CursorNotFound' };
        if (queue!.length === 0) cursors.delete(id);
        return next;
      }
      default:
        return { ok: 0, errmsg: `no such command: '${name}' (${db})`, code: 59, codeName: 'CommandNotFound' };
    }
  };

  const handle = (socket: Socket, conn: number, msg: Buffer) => {
    const requestId = msg.readInt32LE(4);
    const opCode = msg.readInt32LE(12);
    let body: Document;
    let db: string;
    if (opCode === OP_QUERY) {
      const [ns, afterNs] = cstring(msg, 20);
      const docStart = afterNs + 8; // numberToSkip, numberToReturn
      body = deserialize(msg.subarray(docStart, docStart + msg.readInt32LE(docStart)));
      if (body.$query) body = body.$query as Document;
      db = ns.split('.')[0]!;
    } else if (opCode === OP_MSG) {
      const flags = msg.readUInt32LE(16);
      const end = flags & 1 ? msg.length - 4 : msg.length;
      let offset = 20;
      body = {};
      while (offset < end) {
        const kind = msg[offset]!;
        offset += 1;
        if (kind === 0) {
          const size = msg.readInt32LE(offset);
          body = { ...deserialize(msg.subarray(offset, offset + size)), ...body };
          offset += size;
        } else {
          const size = msg.readInt32LE(offset);
          const [id, docsAt] = cstring(msg, offset + 4);
          const docs: Document[] = [];
          let p = docsAt;
          while (p < offset + size) {
            const s = msg.readInt32LE(p);
            docs.push(deserialize(msg.subarray(p, p + s)));
            p += s;
          }
          body[id] = docs;
          offset += size;
        }
      }
      db = String(body.$db ?? 'admin');
    } else {
      socket.destroy();
      return;
    }
    const name = Object.keys(body)[0]!;
    commands.push({ name, db, body, opCode });
    const reply = serialize(answer(body, db, conn));
    const id = nextRequestId++;
    if (opCode === OP_QUERY) {
      const fields = Buffer.alloc(20);
      fields.writeInt32LE(0, 0); // responseFlags
      fields.writeBigInt64LE(0n, 4); // cursorID
      fields.writeInt32LE(0, 12); // startingFrom
      fields.writeInt32LE(1, 16); // numberReturned
      socket.write(Buffer.concat([header(16 + 20 + reply.length, id, requestId, OP_REPLY), fields, reply]));
    } else {
      const flags = Buffer.alloc(5); // flagBits 0, section kind 0
      socket.write(Buffer.concat([header(16 + 5 + reply.length, id, requestId, OP_MSG), flags, reply]));
    }
  };

  const server: Server = createServer((socket) => {
    const conn = ++connectionId;
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
        const size = pending.readInt32LE(0);
        handle(socket, conn, pending.subarray(0, size));
        pending = pending.subarray(size);
      }
    });
    socket.on('error', () => undefined);
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    uri: `mongodb://127.0.0.1:${port}/shop`,
    commands,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
