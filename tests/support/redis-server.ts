import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

export interface TestRedis {
  redis: Redis;
  stop(): Promise<void>;
}

/** A redis-server of the test's own (no persistence), so the test can also stop it. */
export async function startRedis(): Promise<TestRedis> {
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error('redis-server is not installed (Debian package redis-server); this test needs it');
  }
  const port = await freePort();
  const proc: ChildProcess = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  for (let i = 0; !(await listening(port)); i++) {
    if (i > 50) throw new Error(`redis-server did not start on port ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  return {
    redis,
    async stop() {
      redis.disconnect();
      proc.kill('SIGTERM');
    },
  };
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
