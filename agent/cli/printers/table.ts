// Go's text/tabwriter, which every kubectl table and `describe` goes through: cells end at
// a tab, a column is as wide as its widest cell plus padding (never below minwidth), and
// a run of consecutive lines that have a cell in a column forms one aligned block; a line
// with fewer cells ends the block. Text after the last tab of a line is not a column cell
// and is never padded. Widths count code points, as Go counts runes.

export interface TabwriterOptions {
  /** Minimal cell width, padding included. */
  readonly minwidth: number;
  /** Spaces added to the widest cell of each column. */
  readonly padding: number;
}

/** kubectl get: printers.GetNewTabWriter (minwidth 6, tabwidth 4, padding 3, ' '). */
export const KUBECTL_TABLE: TabwriterOptions = { minwidth: 6, padding: 3 };
/** kubectl describe: tabbedString (minwidth 0, tabwidth 8, padding 2, ' '). */
export const KUBECTL_DESCRIBE: TabwriterOptions = { minwidth: 0, padding: 2 };

/** Aligns tab-separated text exactly as tabwriter.Writer + Flush does. */
export function tabwrite(text: string, opts: TabwriterOptions): string {
  const lines = text.split('\n').map((line) => line.split('\t'));
  const out: string[] = new Array<string>(lines.length).fill('');
  const widths: number[] = [];

  const writeLines = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const cells = lines[i] ?? [];
      let s = '';
      cells.forEach((cell, j) => {
        s += cell;
        const w = widths[j];
        if (w !== undefined) s += ' '.repeat(Math.max(0, w - textWidth(cell)));
      });
      out[i] = s;
    }
  };

  const format = (first: number, last: number): void => {
    let line0 = first;
    const column = widths.length;
    for (let t = line0; t < last; t++) {
      if (column >= cellCount(lines[t]) - 1) continue;
      // A cell exists in this column: everything above it is printed with the known widths.
      writeLines(line0, t);
      line0 = t;
      let width = opts.minwidth;
      for (; t < last; t++) {
        const cells = lines[t];
        if (column >= cellCount(cells) - 1) break;
        const w = textWidth(cells?.[column] ?? '') + opts.padding;
        if (w > width) width = w;
      }
      widths.push(width);
      format(line0, t);
      widths.pop();
      line0 = t;
    }
    writeLines(line0, last);
  };

  format(0, lines.length);
  return out.join('\n');
}

/** A kubectl `get` table: header row (unless omitted) and rows, each line ending in a newline. */
export function printTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = headers.length > 0 ? [headers, ...rows] : rows;
  if (all.length === 0) return '';
  return tabwrite(all.map((cells) => `${cells.join('\t')}\n`).join(''), KUBECTL_TABLE);
}

function cellCount(cells: readonly string[] | undefined): number {
  return cells?.length ?? 0;
}

function textWidth(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
