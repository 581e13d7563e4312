import type { ChatCompletionCreateParams } from '../request/types.js';
import type { Plan, RoutedDeployment } from './plan.js';

/** What a request needs from a deployment, checked before any call. */
export interface RequestNeeds {
  inputTokens: number;
  maxOutputTokens: number;
  tools: boolean;
  vision: boolean;
  jsonSchema: boolean;
  reasoning: boolean;
}

export function needsOf(params: ChatCompletionCreateParams, inputTokens: number): RequestNeeds {
  return {
    inputTokens,
    maxOutputTokens: params.max_completion_tokens ?? params.max_tokens ?? 0,
    tools: (params.tools?.length ?? 0) > 0,
    vision: params.messages.some((m) => m.role === 'user' && Array.isArray(m.content) && m.content.some((p) => p.type === 'image_url')),
    jsonSchema: params.response_format?.type === 'json_schema',
    reasoning: params.reasoning_effort !== undefined && params.reasoning_effort !== null && params.reasoning_effort !== 'none',
  };
}

/** Why `deployment` cannot serve the request, or `undefined` (an unknown window never excludes). */
export function ineligibility(deployment: RoutedDeployment, needs: RequestNeeds): string | undefined {
  const window = deployment.contextWindow;
  const needed = needs.inputTokens + needs.maxOutputTokens;
  if (window !== undefined && needed > window) return `context window ${window} < ${needed} tokens needed`;
  return undefined;
}

/**
 * A capability the catalog does not list for `deployment`. The catalog's flags are incomplete
 * (a missing flag reads as false), so this only reorders: deployments listed as capable go first,
 * and none is removed for it.
 */
export function missingCapability(deployment: RoutedDeployment, needs: RequestNeeds): string | undefined {
  const capabilities = deployment.capabilities;
  if (capabilities === undefined) return undefined;
  if (needs.tools && capabilities.tools === false) return 'tools';
  if (needs.vision && capabilities.vision === false) return 'vision';
  if (needs.jsonSchema && capabilities.jsonSchema === false) return 'json_schema';
  if (needs.reasoning && capabilities.reasoning === false) return 'reasoning';
  return undefined;
}

/** Removes deployments whose context window cannot hold the request, recording why; capable ones first. */
export function filterEligible(plan: Plan, needs: RequestNeeds): Plan {
  const skipped = [...plan.skipped];
  let tooLong = false;
  const keep = (deployment: RoutedDeployment): boolean => {
    const reason = ineligibility(deployment, needs);
    if (reason !== undefined) {
      skipped.push({ provider: deployment.provider, model: deployment.model, reason });
      tooLong = true;
    }
    return reason === undefined;
  };
  const capableFirst = (deployments: RoutedDeployment[]): RoutedDeployment[] => {
    const capable = deployments.filter((d) => missingCapability(d, needs) === undefined);
    return capable.length === deployments.length || capable.length === 0
      ? deployments
      : [...capable, ...deployments.filter((d) => missingCapability(d, needs) !== undefined)];
  };
  const filter = (groups: Plan['groups']) =>
    groups
      .map((group) => ({ ...group, deployments: capableFirst(group.deployments.filter(keep)) }))
      .filter((group) => group.deployments.length > 0);
  const contextWindowFallbacks = filter(plan.contextWindowFallbacks);
  const groups = filter(plan.groups);
  // A prompt too long for a candidate goes to the larger models of contextWindowFallbacks now, not after a failed call.
  if (tooLong) groups.push(...contextWindowFallbacks.filter((g) => !groups.some((kept) => kept.label === g.label)));
  return {
    ...plan,
    groups,
    contextWindowFallbacks,
    contentPolicyFallbacks: filter(plan.contentPolicyFallbacks),
    skipped,
  };
}
