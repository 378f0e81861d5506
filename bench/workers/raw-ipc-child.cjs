'use strict';
// The raw IPC baseline: Node's own child_process channel, answered message for message.
const { work } = require('./work-core.cjs');

// Started by the staggered baseline: say when ready to take a job.
// (The bench may close the channel before a late child has said so: the error is no one's concern.)
if (process.argv.includes('--announce')) process.send({ ready: true }, () => undefined);

process.on('message', ({ id, job }) => {
  const value = work(job);
  // The cold-start job sleeps (a promise); the others answer at once, with no promise hop.
  if (value instanceof Promise) value.then((resolved) => process.send({ id, value: resolved }));
  else process.send({ id, value });
});
