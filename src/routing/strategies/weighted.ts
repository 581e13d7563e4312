import type { Strategy } from './types.js';

function weightOf(weight: number | undefined): number {
  if (weight === undefined) return 1;
  return Number.isFinite(weight) && weight > 0 ? weight : 0;
}

/**
 * Weighted random order: candidates are drawn without replacement, each draw proportional to
 * `weight` (missing = 1), so a candidate is first with probability `weight / Σ weight`. Weight 0
 * (or negative) is never drawn while a positive one remains; those follow in list order.
 * One `context.random()` call per drawn candidate.
 */
export const weighted: Strategy = (candidates, context) => {
  const pool = candidates.map((candidate) => ({ candidate, weight: weightOf(candidate.weight) }));
  const zero = pool.filter((entry) => entry.weight === 0).map((entry) => entry.candidate);
  const positive = pool.filter((entry) => entry.weight > 0);
  const ordered: (typeof candidates)[number][] = [];
  while (positive.length > 0) {
    const total = positive.reduce((sum, entry) => sum + entry.weight, 0);
    let r = context.random() * total;
    let pick = positive.length - 1;
    for (let i = 0; i < positive.length; i += 1) {
      r -= positive[i]!.weight;
      if (r < 0) {
        pick = i;
        break;
      }
    }
    ordered.push(positive[pick]!.candidate);
    positive.splice(pick, 1);
  }
  return [...ordered, ...zero];
};
