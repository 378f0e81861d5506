'use strict';
/**
 * A 'data' listener that cuts u32 LE length | u32 LE id | bytes frames out of a stream. Chunks
 * are joined once, when a frame is complete, so a 1 MiB frame is copied once.
 */
function readFrames(onFrame) {
  let chunks = [];
  let buffered = 0;
  let needed = 4;
  return (chunk) => {
    chunks.push(chunk);
    buffered += chunk.length;
    if (buffered < needed) return;
    const buffer = chunks.length === 1 ? chunk : Buffer.concat(chunks, buffered);
    let offset = 0;
    needed = 4;
    while (buffer.length - offset >= 4) {
      const length = buffer.readUInt32LE(offset);
      if (buffer.length - offset - 4 < length) {
        needed = 4 + length;
        break;
      }
      onFrame(buffer.readUInt32LE(offset + 4), buffer.subarray(offset + 8, offset + 4 + length));
      offset += 4 + length;
    }
    chunks = offset === buffer.length ? [] : [buffer.subarray(offset)];
    buffered = buffer.length - offset;
  };
}

module.exports = { readFrames };
