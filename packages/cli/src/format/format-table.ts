/** A table cell: text, optionally styled after padding (so colours do not upset the widths). */
export type TableCell = string | { text: string; style?: ((text: string) => string) | undefined };

/** One column of {@link formatTable}. */
export interface TableColumn {
  header: string;
  /** @default 'left' */
  align?: 'left' | 'right' | undefined;
}

/** Options of {@link formatTable}. */
export interface FormatTableOptions {
  columns: readonly TableColumn[];
  rows: readonly (readonly TableCell[])[];
  /** Styles the header row. @default unstyled */
  headerStyle?: ((text: string) => string) | undefined;
  /** Spaces before each line. @default 0 */
  indent?: number | undefined;
}

/** Lays rows out in aligned columns separated by two spaces; returns the lines, header first. */
export function formatTable({ columns, rows, headerStyle, indent = 0 }: FormatTableOptions): string[] {
  const textOf = (cell: TableCell | undefined) => (typeof cell === 'string' ? cell : (cell?.text ?? ''));
  const widths = columns.map((column, index) =>
    Math.max(column.header.length, ...rows.map((row) => textOf(row[index]).length)),
  );
  const render = (cells: readonly TableCell[], style?: (text: string) => string) => {
    const parts = columns.map((column, index) => {
      const cell = cells[index];
      const text = textOf(cell);
      const width = widths[index] ?? 0;
      const isLast = index === columns.length - 1;
      const padded = column.align === 'right' ? text.padStart(width) : isLast ? text : text.padEnd(width);
      const cellStyle = typeof cell === 'string' ? undefined : cell?.style;
      const styled = cellStyle ? cellStyle(padded) : padded;
      return style ? style(styled) : styled;
    });
    return `${' '.repeat(indent)}${parts.join('  ')}`.trimEnd();
  };
  return [
    render(
      columns.map((column) => column.header),
      headerStyle,
    ),
    ...rows.map((row) => render(row)),
  ];
}
