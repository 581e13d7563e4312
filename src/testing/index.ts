export { mockProvider } from './mock-provider.js';
export type {
  MockCut,
  MockHttpError,
  MockInBandError,
  MockPartial,
  MockProvider,
  MockProviderOptions,
  MockReply,
  MockRequest,
  MockStall,
  MockStep,
  MockStepInput,
  MockTiming,
  MockToolCall,
  MockUsage,
} from './types.js';
