'use strict';
// The raw IPC baseline: Node's own child_process channel, answered message for message.
const { work } = require('./work-core.cjs');

process.on('message', (message) => process.send({ id: message.id, value: work(message.job) }));
