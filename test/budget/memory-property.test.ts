import { describe, it } from 'vitest';
import { memoryStore } from '../../src/budget/index.js';
import { checkAccountingProperty } from './accounting-property.js';

describe('budget accounting property (memory store)', () => {
  it('keeps spent + reserved ≤ limit under any interleaving, and ends with nothing reserved', async () => {
    await checkAccountingProperty(() => memoryStore(), { numRuns: 300, maxBatches: 25 });
  });
});
