import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (asks the kernel, then releases it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True when services are required (CI): a missing binary must fail, not skip. */
export function servicesRequired(): boolean {
  return process.env.DBSAGE_REQUIRE_SERVICES === '1';
}
