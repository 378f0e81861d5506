'use strict';
// poolifier: the cluster worker wraps the job function.
const { ClusterWorker } = require('poolifier');
const { work } = require('./work-core.cjs');

module.exports = new ClusterWorker(work);
