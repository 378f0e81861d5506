'use strict';
/**
 * The raw pipe baseline: fd 3 is a socketpair; frames are u32 LE length | JSON `[id, job]`.
 * Every frame in a chunk is answered, and the answers of one chunk go out in one write.
 */
const { Socket } = require('node:net');
const { work } = require('./work-core.cjs');

const socket = new Socket({ fd: 3, readable: true, writable: true });
let pending = null;
socket.on('data', (chunk) => {
  const buffer = pending ? Buffer.concat([pending, chunk]) : chunk;
  let offset = 0;
  const out = [];
  while (buffer.length - offset >= 4) {
    const length = buffer.readUInt32LE(offset);
    if (buffer.length - offset - 4 < length) break;
    const [id, job] = JSON.parse(buffer.toString('utf8', offset + 4, offset + 4 + length));
    offset += 4 + length;
    const text = JSON.stringify([id, work(job)]);
    const frame = Buffer.allocUnsafe(4 + Buffer.byteLength(text));
    frame.writeUInt32LE(frame.length - 4, 0);
    frame.write(text, 4);
    out.push(frame);
  }
  pending = offset < buffer.length ? buffer.subarray(offset) : null;
  if (out.length > 0) socket.write(out.length === 1 ? out[0] : Buffer.concat(out));
});
socket.on('end', () => process.exit(0));
socket.on('error', () => process.exit(0));
