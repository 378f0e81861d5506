import { defineWorker } from 'forkpool/worker';

export default defineWorker((job) => ({ square: job.n * job.n, pid: process.pid }));
