/** What a command reads and writes: the process's streams and environment, or a test's. */
export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Aborted on Ctrl-C. */
  signal?: AbortSignal;
}

export function processIO(signal?: AbortSignal): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, ...(signal === undefined ? {} : { signal }) };
}

/** A bad command line: printed with a hint to `--help`, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** ANSI styling, only on a terminal and without NO_COLOR. */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

export function style(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): Style {
  const on = stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb';
  const wrap = (open: number, close: number) => (text: string) => (on ? `\x1b[${open}m${text}\x1b[${close}m` : text);
  return { bold: wrap(1, 22), dim: wrap(2, 22), green: wrap(32, 39), red: wrap(31, 39), yellow: wrap(33, 39), cyan: wrap(36, 39) };
}

/** Visible width of a string: ANSI codes removed. */
function width(text: string): number {
  // eslint-disable-next-line no-control-regex
  return [...text.replace(/\x1b\[[0-9;]*m/g, '')].length;
}

export interface Column<T> {
  header: string;
  value(row: T): string;
  align?: 'left' | 'right';
}

/** A plain-text table: a header, a rule, one line per row; numbers right-aligned. */
export function table<T>(rows: readonly T[], columns: ReadonlyArray<Column<T>>, indent = ''): string {
  const cells = rows.map((row) => columns.map((column) => column.value(row)));
  const widths = columns.map((column, i) => Math.max(width(column.header), ...cells.map((line) => width(line[i] ?? ''))));
  const pad = (text: string, i: number): string => {
    const fill = ' '.repeat(Math.max(0, (widths[i] ?? 0) - width(text)));
    return columns[i]?.align === 'right' ? fill + text : text + fill;
  };
  const line = (values: string[]): string => indent + values.map(pad).join('  ').trimEnd();
  return [line(columns.map((c) => c.header)), line(widths.map((w) => '─'.repeat(w))), ...cells.map(line)].join('\n');
}

/** USD with enough digits to show small amounts: `$0.000123`, `$0.0090`, `$1.25`. */
export function usd(value: number | null | undefined, digits?: number): string {
  if (value === null || value === undefined) return '—';
  if (digits !== undefined) return `$${value.toFixed(digits)}`;
  if (value === 0) return '$0';
  if (value >= 0.01) return `$${value.toFixed(4)}`;
  return `$${value.toFixed(6)}`;
}

/** A USD-per-1M price: `0.15`, `2.50`, `0.075`, `—`. */
export function perMillion(value: number | undefined): string {
  if (value === undefined) return '—';
  if (value === 0) return '0';
  const fixed = value.toFixed(4).replace(/0+$/, '');
  const [whole, fraction = ''] = fixed.split('.');
  return `${whole}.${fraction.padEnd(2, '0')}`;
}

/** Tokens compactly: `8K`, `128K`, `1M`, `1.05M`. */
export function compactTokens(value: number | undefined): string {
  if (value === undefined) return '—';
  if (value >= 1_000_000) return `${trim(value / 1_000_000)}M`;
  if (value >= 1_000) return `${trim(value / 1_000)}K`;
  return String(value);
}

function trim(value: number): string {
  return value.toFixed(2).replace(/\.?0+$/, '');
}

/** `[██████████░░░░░░░░░░]` for a fraction in [0, 1]. */
export function bar(fraction: number, cells = 20): string {
  const clamped = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(clamped * cells);
  return `[${'█'.repeat(full)}${'░'.repeat(cells - full)}]`;
}
