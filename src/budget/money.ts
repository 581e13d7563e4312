/**
 * Money in budgets: integer nano-USD (1e-9 USD) as `bigint`, never floats (reliability-design 5.5).
 * Amounts up to `MAX_NANO_USD` (~$9M) are exact in every store (Redis `HINCRBY`, Lua doubles).
 */
import { picoUsdToNanoUsd } from '../pricing/cost.js';

export const NANO_USD_PER_USD = 1_000_000_000n;
/** The largest amount a counter holds exactly in Lua (2^53 − 1 nano-USD ≈ $9 007 199). */
export const MAX_NANO_USD = BigInt(Number.MAX_SAFE_INTEGER);
/** The largest USD limit accepted in config. */
export const MAX_LIMIT_USD = 9_000_000;

/** USD (a config number) → nano-USD, rounded to the nearest nano (exact for ≤ 9 decimals). */
export function usdToNanoUsd(usd: number): bigint {
  if (!Number.isFinite(usd) || usd < 0) throw new RangeError(`invalid USD amount ${usd}`);
  const [whole = '0', frac = ''] = usd.toFixed(9).split('.');
  return BigInt(whole) * NANO_USD_PER_USD + BigInt(frac.padEnd(9, '0'));
}

/** Nano-USD → USD number (the nearest double; exact to the nano below ~$9M). */
export function nanoUsdToUsd(nano: bigint): number {
  if (nano <= MAX_NANO_USD && nano >= -MAX_NANO_USD) return Number(nano) / 1e9;
  return Number(nano / NANO_USD_PER_USD) + Number(nano % NANO_USD_PER_USD) / 1e9;
}

/** A pico-USD estimate → nano-USD for a reservation: rounded up, capped at `MAX_NANO_USD`. */
export function estimateToNanoUsd(pico: bigint): bigint {
  if (pico <= 0n) return 0n;
  const nano = picoUsdToNanoUsd(pico, 'ceil');
  return nano > MAX_NANO_USD ? MAX_NANO_USD : nano;
}

/** An actual pico-USD cost → nano-USD for spend: rounded up (a fraction of a nano is still spent), capped. */
export function actualToNanoUsd(pico: bigint): bigint {
  return estimateToNanoUsd(pico);
}

/** `limit × fraction`, rounded up, for threshold checks (`fraction` in (0, 1], to 1e-6). */
export function fractionOf(limit: bigint, fraction: number): bigint {
  const ppm = BigInt(Math.round(fraction * 1_000_000));
  const scaled = limit * ppm;
  const result = scaled / 1_000_000n;
  return scaled % 1_000_000n === 0n ? result : result + 1n;
}

/** `$1.234567` style for messages: cents, or more digits when the amount is smaller than a cent. */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  const abs = Math.abs(usd);
  const digits = abs >= 0.01 ? 2 : Math.min(9, Math.max(2, 1 - Math.floor(Math.log10(abs)) + 1));
  return `${usd < 0 ? '-' : ''}$${abs.toFixed(digits)}`;
}
