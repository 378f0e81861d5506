'use strict';
/**
 * The raw pipe for binary payloads: fd 3 is a socketpair; frames are u32 LE length | u32 LE id |
 * bytes. Each job's bytes go back as they arrived: no copy, no clone, no work function.
 */
const { Socket } = require('node:net');
const { readFrames } = require('./raw-bytes-frames.cjs');

const socket = new Socket({ fd: 3, readable: true, writable: true });
socket.on(
  'data',
  readFrames((id, bytes) => {
    const header = Buffer.allocUnsafe(8);
    header.writeUInt32LE(4 + bytes.length, 0);
    header.writeUInt32LE(id, 4);
    socket.cork();
    socket.write(header);
    socket.write(bytes);
    socket.uncork();
  }),
);
socket.on('end', () => process.exit(0));
socket.on('error', () => process.exit(0));
