/**
 * What a terminal shows after it received `output`: enough of a VT100 for the CLI's progress
 * line (carriage return, newline, erase line / erase right, cursor to column N); other escape
 * sequences (cursor show/hide, wrap mode, save/restore) are dropped.
 */
export function screenLines(output: string): string[] {
  const lines: string[][] = [[]];
  let row = 0;
  let col = 0;
  const line = () => lines[row] as string[];
  for (let i = 0; i < output.length; i++) {
    const ch = output[i] as string;
    if (ch === '\r') col = 0;
    else if (ch === '\n') {
      row++;
      lines[row] ??= [];
      col = 0;
    } else if (ch === '\x1b') {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences start with ESC
      const csi = /^\x1b\[([?\d;]*)([A-Za-z])/.exec(output.slice(i, i + 16));
      if (!csi) {
        i++; // ESC 7, ESC 8: a two-character sequence
        continue;
      }
      i += csi[0].length - 1;
      const [, arg = '', command] = csi;
      if (command === 'K') {
        if (arg === '2') lines[row] = [];
        else if (arg === '' || arg === '0') line().length = Math.min(line().length, col);
      } else if (command === 'G') col = Math.max(0, Number(arg || '1') - 1);
    } else {
      while (line().length < col) line().push(' ');
      line()[col++] = ch;
    }
  }
  return lines.map((chars) => chars.join('').trimEnd());
}
