// Public budget API (DESIGN section 5). The Redis store is `modelmux/redis` (src/redis.ts).
export { BudgetTracker } from './tracker.js';
export { memoryStore, type MemoryStoreOptions } from './memory-store.js';
export { periodKey, periodEnd, periodStart, isoWeek } from './periods.js';
export { usdToNanoUsd, nanoUsdToUsd } from './money.js';
export { defaultLimitId } from './limits.js';
export type {
  ActualUsage,
  BudgetConfig,
  BudgetEvents,
  BudgetExceededEvent,
  BudgetLimit,
  BudgetPeriod,
  BudgetScope,
  BudgetStatus,
  BudgetStore,
  BudgetThresholdEvent,
  BudgetWarningCode,
  BudgetWarningEvent,
  CounterRefusal,
  CounterSpec,
  CounterState,
  DeploymentLimit,
  ReserveRequest,
  Reservation,
  SpendEvent,
  StoreFinishOp,
  StoreFinishOutcome,
  StoreReserveOp,
  StoreReserveOutcome,
  ThresholdCrossing,
} from './types.js';
