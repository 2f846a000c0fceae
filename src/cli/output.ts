import Table from 'cli-table3';

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export function table(head: string[], rows: (string | number | null | undefined)[][]): string {
  const t = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) t.push(row.map((cell) => (cell === null || cell === undefined ? '' : String(cell))));
  // A rule under the header only: one between every row doubled the table's height (cli-table3
  // draws both with the same characters, so the later ones are dropped here).
  let rules = 0;
  return t
    .toString()
    .split('\n')
    .filter((line) => !line.startsWith('├') || rules++ === 0)
    .join('\n');
}

export const time = (iso: string | null | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z') : '');
