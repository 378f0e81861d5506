import { describe, expect, it } from 'vitest';
import { TerminalLine } from '../../dist/cli/terminal-line.js';
import { screenLines } from './terminal.js';

function terminal() {
  let output = '';
  const line = new TerminalLine((chunk: string | Uint8Array) => {
    output += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  });
  const draw = (text: string) => {
    line.status = text;
    line.drawStatus('\x1b[1G');
    line.drawStatus(text);
    line.drawStatus('\x1b[0K');
  };
  return { line, draw, screen: () => screenLines(output), raw: () => output };
}

describe('TerminalLine (the progress line next to worker output)', () => {
  it('erases the status line before foreign output and draws it again below', () => {
    const t = terminal();
    t.draw('[##--] 1/2');
    t.line.write('worker says hi\n');
    expect(t.screen()).toEqual(['worker says hi', '[##--] 1/2']);
    t.draw('[####] 2/2');
    t.line.write(Buffer.from('bytes too\n'));
    expect(t.screen()).toEqual(['worker says hi', 'bytes too', '[####] 2/2']);
    t.line.close();
    expect(t.screen()).toEqual(['worker says hi', 'bytes too', '']);
  });

  it('draws nothing while a foreign line is unfinished, and catches up when it ends', () => {
    const t = terminal();
    t.draw('bar 1');
    t.line.write('half a line');
    t.draw('bar 2');
    t.draw('bar 3');
    expect(t.screen()).toEqual(['half a line']);
    t.line.write(', the rest\n');
    expect(t.screen()).toEqual(['half a line, the rest', 'bar 3']);
  });

  it('lets cursor mode toggles through at any time, and ends an unfinished line on close', () => {
    const t = terminal();
    t.line.write('no newline');
    t.line.drawStatus('\x1b[?25h');
    expect(t.raw().endsWith('\x1b[?25h')).toBe(true);
    t.line.close();
    expect(t.raw().endsWith('\n')).toBe(true);
  });
});
