import { type Strategy, sortByKey } from './types.js';

/** Fewest attempts in flight first; ties keep list order. */
export const leastBusy: Strategy = (candidates, context) => sortByKey(candidates, (d) => context.stats(d.id).inFlight);
