/** The variant words modelmux understands (DESIGN section 3). */
export const VARIANTS = ['free', 'nitro', 'floor', 'thinking', 'online', 'extended'] as const;
export type Variant = (typeof VARIANTS)[number];

const VARIANT_SET: ReadonlySet<string> = new Set(VARIANTS);

export interface ModelIdParts {
  /** The id without a known variant suffix. */
  base: string;
  variant: Variant | undefined;
}

/**
 * Splits off a variant: only the last `:` segment, and only if it is a known word. Anything
 * else stays part of the id (`ollama/llama3:8b`, `bedrock/…-v1:0`).
 */
export function splitVariant(id: string): ModelIdParts {
  const colon = id.lastIndexOf(':');
  if (colon <= 0) return { base: id, variant: undefined };
  const suffix = id.slice(colon + 1);
  if (!VARIANT_SET.has(suffix)) return { base: id, variant: undefined };
  return { base: id.slice(0, colon), variant: suffix as Variant };
}

export interface QualifiedModelId {
  /** The configured provider key (the first `/` segment). */
  provider: string;
  /** The provider's own id: everything after the first `/`, slashes and colons intact. */
  model: string;
}

/** Splits `provider/model` at the first `/` when the first segment is a configured provider key. */
export function splitProvider(id: string, isProvider: (key: string) => boolean): QualifiedModelId | undefined {
  const slash = id.indexOf('/');
  if (slash <= 0) return undefined;
  const provider = id.slice(0, slash);
  if (!isProvider(provider)) return undefined;
  return { provider, model: id.slice(slash + 1) };
}
