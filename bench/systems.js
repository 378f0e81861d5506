/**
 * One adapter per system under test: `create(name, { workers, binary })` gives
 * `{ run(job): Promise, close(): Promise }`. Every pool runs the same job function
 * (workers/work-core.cjs) with the same number of workers; settings are each library's
 * defaults except the process mode and, for binary payloads, Node's advanced serialization
 * where the library lets one choose it (its JSON default turns a Buffer into an array of numbers).
 */
import { fork, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const WORK_ESM = here('./workers/work.mjs');

export const SYSTEMS = {
  forkpool: { module: '../dist/index.js', label: 'forkpool', isolation: 'process', create: createForkpool },
  // Not the default: what a shallower prefetch does for tiny jobs (see BENCHMARKS.md).
  'forkpool-prefetch128': { module: '../dist/index.js', label: 'forkpool, prefetch: 128 (not default)', isolation: 'process', create: (o) => createForkpool({ ...o, prefetch: 128 }) },
  // A second forkpool build (FORKPOOL_BASE_DIST=/path/to/dist) for before/after comparisons in one run.
  'forkpool-base': { module: undefined, label: 'forkpool (baseline build)', isolation: 'process', create: createForkpoolBase },
  poolifier: { module: 'poolifier', label: 'poolifier (cluster)', isolation: 'process', create: createPoolifier },
  'worker-farm': { module: 'worker-farm', label: 'worker-farm', isolation: 'process', create: createWorkerFarm },
  'jest-worker': { module: 'jest-worker', label: 'jest-worker (child_process)', isolation: 'process', create: createJestWorker },
  workerpool: { module: 'workerpool', label: 'workerpool (process)', isolation: 'process', create: createWorkerpool },
  tinypool: { module: 'tinypool', label: 'tinypool (child_process)', isolation: 'process', create: createTinypool },
  piscina: { module: 'piscina', label: 'piscina (threads, no isolation)', isolation: 'thread', create: createPiscina },
  'raw-pipe': { module: undefined, label: 'raw pipe (length-prefixed JSON, pipelined; bytes as they are for 1 MiB)', isolation: 'baseline', create: createRawPipe },
  // The best a hand-written one-at-a-time design does: every job to the same, already awake child.
  'raw-ipc-hot': { module: undefined, label: 'raw child_process IPC ping-pong, one hot child', isolation: 'baseline', create: (o) => createRawIpc({ ...o, workers: 1 }) },
  // Labelled as what it is: each one-at-a-time job goes to the other child, which has gone to sleep.
  'raw-ipc': { module: undefined, label: 'raw child_process IPC, round-robin over the workers', isolation: 'baseline', create: createRawIpc },
  // Cold start's floor: forked children started as many at a time as there are cores, each job to the first child ready.
  'raw-ipc-staggered': { module: undefined, label: 'raw child_process IPC, started cores at a time, jobs to the first ready', isolation: 'baseline', create: createRawIpcStaggered },
};

async function createForkpool({ workers, prefetch }, entry = '../dist/index.js') {
  const { Pool } = await import(entry);
  const pool = new Pool({ worker: WORK_ESM, workers, ...(prefetch ? { prefetch } : {}) });
  return { run: (job) => pool.run(job), close: () => pool.close() };
}

async function createForkpoolBase(options) {
  const dist = process.env.FORKPOOL_BASE_DIST;
  if (!dist) throw new Error('set FORKPOOL_BASE_DIST to the dist/ folder of the baseline build');
  return createForkpool(options, `${dist}/index.js`);
}

async function createPoolifier({ workers, binary }) {
  const { FixedClusterPool } = await import('poolifier');
  const pool = new FixedClusterPool(workers, here('./workers/poolifier.cjs'), {
    ...(binary ? { settings: { serialization: 'advanced' } } : {}),
    errorHandler: () => undefined,
  });
  return { run: (job) => pool.execute(job), close: () => pool.destroy() };
}

async function createWorkerFarm({ workers, binary }) {
  const { default: workerFarm } = await import('worker-farm');
  const farm = workerFarm(
    { maxConcurrentWorkers: workers, maxRetries: 0, ...(binary ? { workerOptions: { serialization: 'advanced' } } : {}) },
    here('./workers/worker-farm.cjs'),
  );
  const run = (job) => new Promise((resolve, reject) => farm(job, (error, value) => (error ? reject(error) : resolve(value))));
  const close = () => new Promise((resolve) => workerFarm.end(farm, () => resolve()));
  return { run, close };
}

async function createJestWorker({ workers }) {
  const { Worker } = await import('jest-worker');
  // jest-worker's child_process mode already uses advanced serialization.
  const pool = new Worker(here('./workers/jest-worker.cjs'), { numWorkers: workers, enableWorkerThreads: false, exposedMethods: ['work'] });
  return { run: (job) => pool.work(job), close: () => pool.end() };
}

async function createWorkerpool({ workers, binary }) {
  const { default: workerpool } = await import('workerpool');
  const pool = workerpool.pool(here('./workers/workerpool.cjs'), {
    workerType: 'process',
    minWorkers: workers,
    maxWorkers: workers,
    ...(binary ? { forkOpts: { serialization: 'advanced' } } : {}),
  });
  return { run: (job) => pool.exec('work', [job]), close: () => pool.terminate() };
}

async function createTinypool({ workers, binary }) {
  const { Tinypool } = await import('tinypool');
  const pool = new Tinypool({
    filename: WORK_ESM,
    runtime: 'child_process',
    minThreads: workers,
    maxThreads: workers,
    ...(binary ? { serialization: 'advanced' } : {}),
  });
  return { run: (job) => pool.run(job), close: () => pool.destroy() };
}

async function createPiscina({ workers }) {
  const { Piscina } = await import('piscina');
  const pool = new Piscina({ filename: WORK_ESM, minThreads: workers, maxThreads: workers });
  return { run: (job) => pool.run(job), close: () => pool.destroy() };
}

/**
 * The raw pipe: what a pool could reach with no scheduling, no timeouts, no clone semantics.
 * Frames are u32 LE length | JSON `[id, job]`; every frame queued in one tick goes out in one
 * write; jobs go round-robin to the children, as many in flight as the caller submits.
 */
async function createRawPipe({ workers, binary, shape }) {
  if (binary) return createRawBytesPipe({ workers, objects: shape === 'object' });
  const waiting = new Map();
  let nextId = 1;
  const children = spawnRawChildren('./workers/raw-pipe-child.cjs', workers, () => {
    let pending = null;
    return (chunk) => {
      const buffer = pending ? Buffer.concat([pending, chunk]) : chunk;
      let offset = 0;
      while (buffer.length - offset >= 4) {
        const length = buffer.readUInt32LE(offset);
        if (buffer.length - offset - 4 < length) break;
        const [id, value] = JSON.parse(buffer.toString('utf8', offset + 4, offset + 4 + length));
        offset += 4 + length;
        settle(waiting, id, value);
      }
      pending = offset < buffer.length ? buffer.subarray(offset) : null;
    };
  }).map((entry) => ({ ...entry, out: [], scheduled: false }));
  let next = 0;
  const flush = (entry) => {
    entry.scheduled = false;
    const out = entry.out;
    entry.out = [];
    entry.socket.write(out.length === 1 ? out[0] : Buffer.concat(out));
  };
  const run = (job) =>
    new Promise((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      const text = JSON.stringify([id, job]);
      const frame = Buffer.allocUnsafe(4 + Buffer.byteLength(text));
      frame.writeUInt32LE(frame.length - 4, 0);
      frame.write(text, 4);
      const entry = children[next++ % children.length];
      entry.out.push(frame);
      if (!entry.scheduled) {
        entry.scheduled = true;
        queueMicrotask(() => flush(entry));
      }
    });
  return { run, close: () => closeChildren(children) };
}

/**
 * Spawns the raw baselines' children, each with a socketpair on fd 3; `listener()` makes one
 * child's 'data' listener (it may keep state of its own).
 */
function spawnRawChildren(script, workers, listener, args = []) {
  return Array.from({ length: workers }, () => {
    const child = spawn(process.execPath, [here(script), ...args], { stdio: ['ignore', 'inherit', 'inherit', 'pipe'] });
    const socket = child.stdio[3];
    socket.on('data', listener());
    socket.on('error', () => undefined);
    return { child, socket };
  });
}

/** Resolves the job waiting under `id`. */
/**
 * Booting Node is CPU-bound: 8 children started at once on 2 cores are all ready late (each gets a
 * quarter of a core). The fastest hand-written start: `cores` children at once, one more as each
 * is ready, and every job to whichever child is idle first. Jobs wait in the parent until then.
 */
async function createRawIpcStaggered({ workers }) {
  const { availableParallelism } = await import('node:os');
  const children = [];
  const idle = [];
  const queue = [];
  const waiting = new Map();
  let nextId = 1;
  const dispatch = () => {
    while (idle.length > 0 && queue.length > 0) {
      const child = idle.shift();
      const { id, job } = queue.shift();
      child.send({ id, job });
    }
  };
  const spawnOne = () => {
    const child = fork(here('./workers/raw-ipc-child.cjs'), ['--announce'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    child.on('message', (message) => {
      if (message.ready) {
        if (children.length < workers) spawnOne();
      } else settle(waiting, message.id, message.value);
      idle.push(child);
      dispatch();
    });
  };
  for (let i = 0; i < Math.min(workers, availableParallelism()); i++) spawnOne();
  const run = (job) =>
    new Promise((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      queue.push({ id, job });
      dispatch();
    });
  const close = () => Promise.all(children.map((child) => new Promise((resolve) => {
    child.once('exit', resolve);
    child.disconnect();
  })));
  return { run, close };
}

function settle(waiting, id, value) {
  const resolve = waiting.get(id);
  waiting.delete(id);
  resolve(value);
}

/** Ends each child's channel and waits for the child to exit. */
function closeChildren(children) {
  return Promise.all(children.map(({ child, socket }) => new Promise((resolve) => {
    child.once('exit', resolve);
    socket.end();
  })));
}

/**
 * The raw pipe for the 1 MiB scenarios: u32 LE length | u32 LE id | bytes, the job's bytes written
 * as they are (no snapshot) and echoed by the child (no copy). What any pool moving bytes over a
 * socket can reach on this machine. With `objects`, a job is `{ id, data }`: its id travels in the
 * frame after the frame's own (u32 LE), its data as the bytes, and the child hands the work
 * function the object rebuilt around a view of them (the hand-written design for one known shape).
 */
async function createRawBytesPipe({ workers, objects }) {
  const { readFrames } = createRequire(import.meta.url)('./workers/raw-bytes-frames.cjs');
  const waiting = new Map();
  let nextId = 1;
  const onFrame = objects ? (id, bytes) => settle(waiting, id, { id: bytes.readUInt32LE(0), data: bytes.subarray(4) }) : (id, bytes) => settle(waiting, id, bytes);
  const children = spawnRawChildren('./workers/raw-bytes-child.cjs', workers, () => readFrames(onFrame), objects ? ['objects'] : []);
  let next = 0;
  const run = (job) =>
    new Promise((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      const bytes = objects ? job.data : job;
      const header = Buffer.allocUnsafe(objects ? 12 : 8);
      header.writeUInt32LE(header.length - 4 + bytes.length, 0);
      header.writeUInt32LE(id, 4);
      if (objects) header.writeUInt32LE(job.id, 8);
      const { socket } = children[next++ % children.length];
      socket.cork();
      socket.write(header);
      socket.write(bytes);
      socket.uncork();
    });
  return { run, close: () => closeChildren(children) };
}

/** Node's IPC channel (JSON serialization), one message each way per job, round-robin over `workers` children. */
async function createRawIpc({ workers }) {
  const children = [];
  const waiting = new Map();
  let nextId = 1;
  for (let i = 0; i < workers; i++) {
    const child = fork(here('./workers/raw-ipc-child.cjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', ({ id, value }) => settle(waiting, id, value));
    children.push(child);
  }
  let next = 0;
  const run = (job) =>
    new Promise((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      children[next++ % children.length].send({ id, job });
    });
  const close = () => Promise.all(children.map((child) => new Promise((resolve) => {
    child.once('exit', resolve);
    child.disconnect();
  })));
  return { run, close };
}
