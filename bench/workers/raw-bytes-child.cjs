'use strict';
/**
 * The raw pipe for binary payloads: fd 3 is a socketpair; frames are u32 LE length | u32 LE id |
 * bytes. Each job's bytes go back as they arrived: no copy, no clone. With the argument `objects`,
 * the bytes start with a u32 LE object id: the work function gets `{ id, data }` (data a view of
 * the frame) and its result goes back the same way.
 */
const { Socket } = require('node:net');
const { readFrames } = require('./raw-bytes-frames.cjs');
const { work } = require('./work-core.cjs');

const objects = process.argv[2] === 'objects';
const socket = new Socket({ fd: 3, readable: true, writable: true });
socket.on(
  'data',
  readFrames((id, bytes) => {
    let out = bytes;
    let header;
    if (objects) {
      const value = work({ id: bytes.readUInt32LE(0), data: bytes.subarray(4) });
      out = value.data;
      header = Buffer.allocUnsafe(12);
      header.writeUInt32LE(value.id, 8);
    } else {
      header = Buffer.allocUnsafe(8);
    }
    header.writeUInt32LE(header.length - 4 + out.length, 0);
    header.writeUInt32LE(id, 4);
    socket.cork();
    socket.write(header);
    socket.write(out);
    socket.uncork();
  }),
);
socket.on('end', () => process.exit(0));
socket.on('error', () => process.exit(0));
