/**
 * Calendar budget periods in UTC: `day`, `week` (ISO 8601: weeks start on Monday; week 1 holds
 * the year's first Thursday), `month`, `total`. A period key names the window and is part of the
 * counter key, so a new period starts from zero without a reset job:
 * `2026-11-24`, `2026-W48`, `2026-11`, `total`.
 */
import type { BudgetPeriodName } from '../errors/classes.js';

export type BudgetPeriod = BudgetPeriodName;

const DAY_MS = 86_400_000;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** ISO weekday of a UTC date: Monday 1 … Sunday 7. */
function isoWeekday(date: Date): number {
  const d = date.getUTCDay();
  return d === 0 ? 7 : d;
}

/** Start (epoch ms, 00:00 UTC) of the day holding `nowMs`. */
function startOfDay(nowMs: number): number {
  return Math.floor(nowMs / DAY_MS) * DAY_MS;
}

/** ISO week-numbering year and week of the UTC day holding `nowMs`. */
export function isoWeek(nowMs: number): { year: number; week: number } {
  const day = new Date(startOfDay(nowMs));
  // The Thursday of this week decides the ISO year.
  const thursday = new Date(day.getTime() + (4 - isoWeekday(day)) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const jan1 = Date.UTC(year, 0, 1);
  const week = Math.floor((thursday.getTime() - jan1) / DAY_MS / 7) + 1;
  return { year, week };
}

/** The last period computed for each kind: every request in the same period reuses its key and end. */
const lastSpan = new Map<BudgetPeriod, { start: number; end: number; key: string }>();

function span(period: Exclude<BudgetPeriod, 'total'>, nowMs: number): { start: number; end: number; key: string } {
  const last = lastSpan.get(period);
  if (last !== undefined && nowMs >= last.start && nowMs < last.end) return last;
  const next = { start: periodStart(period, nowMs), end: computePeriodEnd(period, nowMs) ?? Number.POSITIVE_INFINITY, key: computePeriodKey(period, nowMs) };
  lastSpan.set(period, next);
  return next;
}

/** The key of the period holding `nowMs`: `2026-11-24`, `2026-W48`, `2026-11` or `total`. */
export function periodKey(period: BudgetPeriod, nowMs: number): string {
  return period === 'total' ? 'total' : span(period, nowMs).key;
}

function computePeriodKey(period: BudgetPeriod, nowMs: number): string {
  const d = new Date(nowMs);
  switch (period) {
    case 'day':
      return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    case 'week': {
      const { year, week } = isoWeek(nowMs);
      return `${year}-W${pad(week)}`;
    }
    case 'month':
      return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`;
    case 'total':
      return 'total';
  }
}

/** Start (epoch ms) of the period holding `nowMs`; 0 for `total`. */
export function periodStart(period: BudgetPeriod, nowMs: number): number {
  const d = new Date(nowMs);
  switch (period) {
    case 'day':
      return startOfDay(nowMs);
    case 'week': {
      const day = startOfDay(nowMs);
      return day - (isoWeekday(new Date(day)) - 1) * DAY_MS;
    }
    case 'month':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    case 'total':
      return 0;
  }
}

/** End (epoch ms, exclusive: the next period's start) of the period holding `nowMs`; `null` for `total`. */
export function periodEnd(period: BudgetPeriod, nowMs: number): number | null {
  return period === 'total' ? null : span(period, nowMs).end;
}

function computePeriodEnd(period: BudgetPeriod, nowMs: number): number | null {
  const d = new Date(nowMs);
  switch (period) {
    case 'day':
      return startOfDay(nowMs) + DAY_MS;
    case 'week':
      return periodStart('week', nowMs) + 7 * DAY_MS;
    case 'month':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    case 'total':
      return null;
  }
}
