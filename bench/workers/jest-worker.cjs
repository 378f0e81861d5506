'use strict';
// jest-worker: every exported function is a method of the pool.
module.exports = require('./work-core.cjs');
