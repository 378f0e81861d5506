'use strict';
const workerpool = require('workerpool');
const { work } = require('./work-core.cjs');

workerpool.worker({ work });
