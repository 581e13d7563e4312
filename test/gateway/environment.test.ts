import { afterEach, describe, expect, it, vi } from 'vitest';
import { createGateway as createEdgeGateway, type WarningEvent } from '../../src/edge.js';
import { createGateway, ValidationError } from '../../src/index.js';

const KEYS = [
  'OPENAI_API_KEY', 'AZURE_OPENAI_API_KEY', 'AZURE_OPENAI_ENDPOINT', 'AZURE_RESOURCE_NAME', 'DEEPSEEK_API_KEY', 'GROQ_API_KEY',
  'XAI_API_KEY', 'MISTRAL_API_KEY', 'TOGETHER_API_KEY', 'FIREWORKS_API_KEY', 'OPENROUTER_API_KEY', 'OLLAMA_HOST', 'OLLAMA_API_KEY',
  'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_GENERATIVE_AI_API_KEY', 'GOOGLE_API_KEY',
  'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_BEARER_TOKEN_BEDROCK',
];

function clearEnvironment(): void {
  for (const key of KEYS) vi.stubEnv(key, '');
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('providers from the environment', () => {
  it('configures every provider whose key is set, under its usual key', () => {
    clearEnvironment();
    vi.stubEnv('OPENAI_API_KEY', 'sk-env-openai-000000000000');
    vi.stubEnv('GROQ_API_KEY', 'gsk_env_groq_0000000000000000');
    vi.stubEnv('OLLAMA_HOST', '127.0.0.1:11434');
    vi.stubEnv('ANTHROPIC_API_KEY', 'sk-ant-env-000000000000000000');
    vi.stubEnv('GEMINI_API_KEY', 'gemini-env-key-000000000000');
    expect([...createGateway().providers].sort()).toEqual(['anthropic', 'google', 'groq', 'ollama', 'openai']);
  });

  it('configures Bedrock only with a key id, a secret and a region', () => {
    clearEnvironment();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    expect(createGateway().providers).toEqual([]);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY');
    vi.stubEnv('AWS_REGION', 'us-east-1');
    expect(createGateway().providers).toEqual(['bedrock']);
  });

  it('does not configure Azure from a key without an endpoint', () => {
    clearEnvironment();
    vi.stubEnv('AZURE_OPENAI_API_KEY', 'azure-key-000000000000');
    expect(createGateway().providers).toEqual([]);
    vi.stubEnv('AZURE_RESOURCE_NAME', 'my-resource');
    expect(createGateway().providers).toEqual(['azure']);
  });

  it('with no key anywhere, a request is a ValidationError saying how to configure one', async () => {
    clearEnvironment();
    const mux = createGateway();
    expect(mux.providers).toEqual([]);
    const error = await mux.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toMatch(/no provider is configured/);
  });

  it('importing and creating never throws for a missing key; the request names the variable', async () => {
    clearEnvironment();
    const { openai } = await import('../../src/index.js');
    const mux = createGateway({ providers: { openai: openai() } });
    const error = await mux.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'authentication_error', provider: 'openai' });
    expect((error as Error).message).toMatch(/OPENAI_API_KEY/);
  });
});

describe('providers from the environment, fetch build', () => {
  it('configures the OpenAI-compatible providers and warns about a native key it does not load', () => {
    clearEnvironment();
    vi.stubEnv('OPENAI_API_KEY', 'sk-env-openai-000000000000');
    vi.stubEnv('ANTHROPIC_API_KEY', 'sk-ant-env-000000000000000000');
    const warnings: WarningEvent[] = [];
    const mux = createEdgeGateway({ hooks: { onWarning: (event) => warnings.push(event) } });
    expect(mux.providers).toEqual(['openai']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ provider: 'anthropic' });
    expect(warnings[0]!.message).toContain('providers: { anthropic: anthropic() }');
    expect(JSON.stringify(warnings)).not.toContain('sk-ant-env');
  });
});
