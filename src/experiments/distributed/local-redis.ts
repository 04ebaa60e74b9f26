/**
 * A throwaway Redis on this machine, for the queue's tests and `bench queue`: Debian's
 * `redis-server` on 127.0.0.1, on a free port, with its own temporary data folder and the
 * append-only file on (as docs/scaling-out.md tells users to run it). Nothing depends on a Redis
 * that is already running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { QueueError } from './connection.ts';

export interface LocalRedis {
  port: number;
  dir: string;
  url: string;
  /** Kills the server (SIGKILL: as a crash) and starts it again on the same port and data folder. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A port nothing listens on right now (Redis cannot pick one itself). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startLocalRedis(options: { password?: string } = {}): Promise<LocalRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bitpoint-redis-'));
  let server: ChildProcess | null = null;
  const launch = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no'];
    if (options.password) args.push('--requirepass', options.password);
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    let missing = false;
    child.on('error', () => (missing = true));
    server = child;
    const client = new Redis({ port, host: '127.0.0.1', password: options.password, lazyConnect: true, retryStrategy: () => null });
    client.on('error', () => {});
    for (let tries = 0; ; tries++) {
      try {
        await client.connect();
        if ((await client.ping()) === 'PONG') break;
      } catch {
        if (missing || child.exitCode !== null || tries > 600) throw new QueueError(`redis-server on port ${port} did not start (is Debian's redis-server installed?)`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    client.disconnect();
  };
  const kill = async () => {
    const child = server;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  await launch();
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  return {
    port,
    dir,
    url: `redis://${auth}127.0.0.1:${port}`,
    async restart() {
      await kill();
      await launch();
    },
    stop: kill,
  };
}
