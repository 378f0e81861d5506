const { defineWorker } = require('forkpool/worker');

module.exports = defineWorker((job) => ({ square: job.n * job.n, pid: process.pid }));
