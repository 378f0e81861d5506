import { describe, expect, it } from 'vitest';
import { StagingBuffers } from '../../dist/channel/staging.js';

describe('StagingBuffers', () => {
  it('copies the parts one after the other into a buffer of their length', () => {
    const staging = new StagingBuffers();
    const { bytes } = staging.copy([Buffer.from([1, 2]), new Uint8Array([3, 4, 5])], 5);
    expect([...bytes]).toEqual([1, 2, 3, 4, 5]);
  });

  it('hands a buffer out again only after it was given back', () => {
    const staging = new StagingBuffers({ roundUp: false });
    const first = staging.copy([Buffer.alloc(100_000, 1)], 100_000);
    const second = staging.copy([Buffer.alloc(100_000, 2)], 100_000);
    expect(second.bytes.buffer).not.toBe(first.bytes.buffer);
    expect(first.bytes.every((b) => b === 1)).toBe(true);
    first.release();
    const third = staging.copy([Buffer.alloc(100_000, 3)], 100_000);
    expect(third.bytes.buffer).toBe(first.bytes.buffer);
    expect(second.bytes.every((b) => b === 2)).toBe(true);
  });

  it('sizes new buffers exactly without roundUp, in powers of two with it', () => {
    expect(new StagingBuffers({ roundUp: false }).copy([Buffer.alloc(100_000)], 100_000).bytes.buffer.byteLength).toBe(100_000);
    expect(new StagingBuffers().copy([Buffer.alloc(100_000)], 100_000).bytes.buffer.byteLength).toBe(131_072);
  });
});
