import type { BudgetTracker } from '../budget/tracker.js';
import type { BudgetScope, Reservation } from '../budget/types.js';
import type { ModelmuxError } from '../errors/base.js';
import { computeCostPicoUsd, estimateCostPicoUsd, type CostOptions } from '../pricing/cost.js';
import { estimateOutputTokens } from '../pricing/estimate.js';
import type { ChatCompletionCreateParams, CompletionUsage } from '../request/types.js';
import type { CallScope } from './call-scope.js';
import type { RoutedDeployment } from './plan.js';

const PICO_PER_USD = 1_000_000_000_000;

/** The actual cost of a usage in pico-USD: the provider's own figure, else the catalog's, else unknown. */
function actualPicoUsd(usage: CompletionUsage, deployment: RoutedDeployment, costOptions: CostOptions): bigint | null {
  if (usage.cost !== null) return BigInt(Math.round(usage.cost * PICO_PER_USD));
  if (deployment.price !== undefined) return computeCostPicoUsd(usage, deployment.price, costOptions);
  return null;
}

/** Whether a failed attempt cannot have been billed: the provider answered with an error status, or nothing was sent. */
function cannotHaveBeenBilled(error: ModelmuxError): boolean {
  // A 2xx that failed afterwards (idle timeout, in-band error, malformed body) may have been billed.
  if (error.status !== undefined && (error.status < 200 || error.status >= 300)) return true;
  // An abort, like a passed deadline, may land after the provider started generating: it bills that work.
  if (error.code === 'validation_error' || error.code === 'authentication_error') return true;
  if (error.code === 'timeout') return (error as { timeout?: string }).timeout === 'connect';
  if (error.code === 'connection_error') {
    const errno = (error.cause as { code?: unknown } | undefined)?.code;
    return errno === 'ECONNREFUSED' || errno === 'ENOTFOUND' || errno === 'EAI_AGAIN' || errno === 'ECONNRESET_BEFORE_SEND';
  }
  return false;
}

/**
 * Budgets around each attempt (DESIGN section 5): reserve the worst case before it is sent,
 * settle exactly once after — the actual cost on success, the estimate when the provider may
 * have billed an attempt that failed, nothing when it cannot have.
 */
export class AttemptSpend {
  constructor(
    private readonly tracker: BudgetTracker,
    private readonly request: ChatCompletionCreateParams,
    private readonly scope: BudgetScope,
    private readonly call: CallScope,
    private readonly inputTokens: number,
    private readonly costOptions: CostOptions,
  ) {}

  reserve(deployment: RoutedDeployment): Promise<Reservation> {
    const outputTokens = estimateOutputTokens(this.request, deployment.maxOutput === undefined ? undefined : { maxOutput: deployment.maxOutput });
    return this.tracker.reserve({
      scope: this.scope,
      deploymentId: deployment.id,
      model: deployment.model,
      estimatePicoUsd:
        deployment.price === undefined ? null : estimateCostPicoUsd({ inputTokens: this.inputTokens, outputTokens }, deployment.price, this.costOptions),
      estimatedTokens: this.inputTokens + outputTokens,
      signal: this.call,
      deadlineMs: this.call.deadlineAt,
    });
  }

  settle(reservation: Reservation, usage: CompletionUsage, deployment: RoutedDeployment): Promise<void> {
    return reservation.settle({ picoUsd: actualPicoUsd(usage, deployment, this.costOptions), tokens: usage.total_tokens });
  }

  fail(reservation: Reservation, error: ModelmuxError): Promise<void> {
    return cannotHaveBeenBilled(error) ? reservation.release() : reservation.settleAtEstimate();
  }
}
