#!/usr/bin/env node
// Throughput of tiny jobs through Redis: one DistributedPool producer, `--hosts` forkpool worker
// hosts on this machine, compared with a local Pool of the same total size.
// Usage: npm run build && node bench/bullmq-throughput.js [--jobs 20000] [--hosts 2] [--workers 2] [--concurrency N]
// Uses REDIS_URL when set, else starts redis-server on a free 127.0.0.1 port (persistence off).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from '../dist/index.js';
import { DistributedPool } from '../dist/bullmq/index.js';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '20000' }, hosts: { type: 'string', default: '2' }, workers: { type: 'string', default: '2' }, concurrency: { type: 'string' } } });
const JOBS = Number(values.jobs);
const HOSTS = Number(values.hosts);
const WORKERS = Number(values.workers);
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'forkpool-bench-'));
const worker = join(dir, 'square.mjs');
writeFileSync(worker, 'export default (n) => n * n;\n');
const spawned = [];

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  return port;
}

async function waitForText(child, stream, text, ms) {
  let seen = '';
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  for await (const chunk of child[stream]) {
    seen += chunk;
    if (seen.includes(text)) break;
  }
  clearTimeout(timer);
  if (!seen.includes(text)) throw new Error(`no "${text}" within ${ms} ms:\n${seen}`);
  child[stream].resume();
}

async function redisUrl() {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  spawned.push(child);
  await waitForText(child, 'stdout', 'Ready to accept connections', 10_000);
  return `redis://127.0.0.1:${port}`;
}

async function drain(pool) {
  const started = performance.now();
  pool.add(...Array.from({ length: JOBS }, (_, n) => n));
  let failed = 0;
  for await (const outcome of pool.results()) if (outcome.status !== 'fulfilled') failed++;
  const seconds = (performance.now() - started) / 1000;
  if (failed > 0) throw new Error(`${failed} jobs failed`);
  return { seconds: Number(seconds.toFixed(2)), jobsPerSecond: Math.round(JOBS / seconds) };
}

try {
  const url = await redisUrl();
  const queue = `bench-${process.pid}`;
  for (let i = 0; i < HOSTS; i++) {
    const host = spawn(process.execPath, [CLI, 'worker', worker, '--redis', url, '--queue', queue, '--workers', String(WORKERS), ...(values.concurrency ? ['--concurrency', values.concurrency] : [])], { stdio: ['ignore', 'ignore', 'pipe'] });
    spawned.push(host);
    await waitForText(host, 'stderr', 'forkpool worker: ready', 20_000);
  }
  const remote = new DistributedPool({ connection: url, queue });
  const throughRedis = await drain(remote);
  await remote.close();
  const local = new Pool({ worker, workers: HOSTS * WORKERS });
  const localPool = await drain(local);
  await local.close();
  const result = { jobs: JOBS, hosts: HOSTS, workersPerHost: WORKERS, cpus: cpus().length, node: process.version, throughRedis, localPool };
  console.log(JSON.stringify(result));
  console.log(`${JOBS} tiny jobs: ${throughRedis.jobsPerSecond} jobs/s through Redis (${HOSTS} hosts x ${WORKERS} processes), ${localPool.jobsPerSecond} jobs/s on a local Pool of ${HOSTS * WORKERS}`);
} finally {
  // Hosts first (graceful), then Redis; every process here was started by this script.
  for (const child of spawned.reverse()) {
    if (child.exitCode !== null) continue;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(dir, { recursive: true, force: true });
}
