import { AuthenticationError } from '../errors/classes.js';
import { registerSecret } from '../http/redact.js';

type Env = Record<string, string | undefined>;

/** The environment, where the runtime has one (Node, Bun; not browsers or workerd without nodejs_compat). */
function environment(): Env | undefined {
  return (globalThis as { process?: { env?: Env } }).process?.env;
}

/** A non-empty environment variable, or `undefined`. */
export function readEnv(name: string): string | undefined {
  const value = environment()?.[name];
  return value === undefined || value === '' ? undefined : value;
}

/** The first set variable among `names`. */
export function readFirstEnv(names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = readEnv(name);
    if (value !== undefined) return value;
  }
  return undefined;
}

/**
 * Resolves an API key lazily: the explicit option, else the first set environment variable.
 * The key is registered for redaction. Throws `AuthenticationError` naming the variables when
 * `required` and nothing is found.
 */
export function loadApiKey(options: {
  explicit: string | undefined;
  envNames: readonly string[];
  provider: string;
  required: boolean;
}): string | undefined {
  const key = options.explicit ?? readFirstEnv(options.envNames);
  if (key !== undefined) {
    registerSecret(key);
    return key;
  }
  if (!options.required) return undefined;
  const where = options.envNames.length > 0 ? `pass apiKey or set ${options.envNames.join(' or ')}` : 'pass apiKey';
  throw new AuthenticationError(`No API key for provider "${options.provider}": ${where}`, {
    provider: options.provider,
    retryable: false,
  });
}
