// Output formats shared by the commands: aligned tables for people, csv/json/md for other tools.
import { formatDuration } from '../domain/duration.js';
import { lineText } from '../domain/text.js';

export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

export interface Column {
  /** Field name in json and csv. */
  key: string;
  /** Short heading for table and md. */
  header: string;
  align?: 'left' | 'right';
  /** Never shortened to fit the width (text columns are, widest first). */
  fixed?: boolean;
  /** How a person reads the value (table, md); csv and json keep the raw value. */
  display?: (value: Cell) => string;
}

function displayCell(column: Column, value: Cell): string {
  if (column.display) return lineText(column.display(value));
  return value === null ? '' : lineText(String(value));
}

const length = (text: string) => [...text].length;

function shorten(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

const MIN_TEXT_WIDTH = 6;

/** Column widths that fit `maxWidth` where possible, taking space from the widest text column first. */
function fitWidths(columns: Column[], cells: string[][], maxWidth: number): number[] {
  const widths = columns.map((c, i) =>
    Math.max(length(c.header), ...cells.map((row) => length(row[i] ?? ''))),
  );
  const gaps = columns.reduce((sum, _c, i) => sum + gapBefore(columns, i).length, 0);
  const total = () => widths.reduce((a, b) => a + b, 0) + gaps;
  const shrinkable = columns.flatMap((c, i) => (c.align === 'right' || c.fixed ? [] : [i]));
  while (total() > maxWidth) {
    const widest = shrinkable.reduce<number | null>(
      (best, i) => ((widths[i] ?? 0) > (best === null ? MIN_TEXT_WIDTH : (widths[best] ?? 0)) ? i : best),
      null,
    );
    if (widest === null) break;
    widths[widest] = (widths[widest] ?? 0) - 1;
  }
  return widths;
}

/** Numbers side by side need one space; text needs two to read as separate columns. */
function gapBefore(columns: Column[], i: number): string {
  if (i === 0) return '';
  return columns[i]?.align === 'right' && columns[i - 1]?.align === 'right' ? ' ' : '  ';
}

export function renderTable(rows: Row[], columns: Column[], maxWidth = 80): string {
  const cells = rows.map((row) => columns.map((c) => displayCell(c, row[c.key] ?? null)));
  const widths = fitWidths(columns, cells, maxWidth);
  const line = (values: string[]) =>
    columns
      .map((c, i) => {
        const width = widths[i] ?? 0;
        const text = shorten(values[i] ?? '', width);
        const pad = ' '.repeat(width - length(text));
        return gapBefore(columns, i) + (c.align === 'right' ? pad + text : text + pad);
      })
      .join('')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

function csvField(value: Cell): string {
  const text = value === null ? '' : lineText(String(value));
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function renderCsv(rows: Row[], columns: Column[]): string {
  const line = (values: Cell[]) => values.map(csvField).join(',');
  return [
    line(columns.map((c) => c.key)),
    ...rows.map((row) => line(columns.map((c) => row[c.key] ?? null))),
  ].join('\n');
}

export function renderMarkdown(rows: Row[], columns: Column[]): string {
  const escapeCell = (text: string) => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|');
  const line = (values: string[]) => `| ${values.map(escapeCell).join(' | ')} |`;
  const rule = `|${columns.map((c) => (c.align === 'right' ? ' ---: |' : ' --- |')).join('')}`;
  return [
    line(columns.map((c) => c.header)),
    rule,
    ...rows.map((row) => line(columns.map((c) => displayCell(c, row[c.key] ?? null)))),
  ].join('\n');
}

/** A duration as every front end shows it (src/domain/duration.ts): 6.7s, 42s, 8m 13s, 1h 27m. */
export function formatSeconds(value: Cell): string {
  return typeof value === 'number' ? formatDuration(value) : '-';
}

/** A rate as a whole percentage; the exact value is in json and csv. */
export function formatPercent(value: Cell): string {
  return typeof value === 'number' ? `${Math.round(value * 100)}%` : '-';
}
