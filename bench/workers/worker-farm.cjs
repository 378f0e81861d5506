'use strict';
// worker-farm: node-style callback.
const { work } = require('./work-core.cjs');

module.exports = (job, callback) => {
  Promise.resolve(work(job)).then((value) => callback(null, value), callback);
};
