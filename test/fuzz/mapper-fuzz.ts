/**
 * The fuzz properties every provider's response and stream mappers share, table-driven: each
 * provider file supplies its vocabulary, seeds (its recorded fixtures), run counts and how to call
 * its mappers; the oracle (a well-formed result or a typed error, no pollution) is in helpers.ts.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { StreamEvent } from '../../src/providers/adapter.js';
import {
  applyStreamOps,
  arbitraryEvent,
  astValue,
  jsonAst,
  mutateJson,
  mutationArbitrary,
  streamOpArbitrary,
  type Vocabulary,
} from './helpers.js';

export interface MapperRuns {
  arbitraryBody: number;
  mutatedBody: number;
  arbitraryEvents: number;
  mutatedStream: number;
}

export interface MapperFuzzTarget<C> {
  name: string;
  vocab: Vocabulary;
  /** SSE event names (or event-stream message types) the arbitrary streams are drawn from. */
  eventNames: readonly string[];
  /** Nesting depth of arbitrary JSON bodies. */
  bodyDepth: number;
  /** Longest arbitrary event sequence. */
  maxEvents: number;
  /** What else a call is made with (a preset, a model, a JSON-mode tool), drawn for every run. */
  context: fc.Arbitrary<C>;
  /** The contexts a seed without its own is replayed with. */
  seedContexts: readonly C[];
  bodySeeds: ReadonlyArray<{ value: unknown; context?: C }>;
  streamSeeds: ReadonlyArray<{ events: readonly StreamEvent[]; context?: C }>;
  parse(body: unknown, context: C): unknown;
  stream(events: readonly StreamEvent[], context: C): unknown;
  runs: MapperRuns;
}

/** The six properties: fixtures as seeds, arbitrary and mutated bodies, arbitrary and mutated streams. */
export function describeMapperFuzz<C>(t: MapperFuzzTarget<C>): void {
  const mutations = fc.array(mutationArbitrary(t.vocab), { minLength: 1, maxLength: 6 });
  const streamOps = fc.array(streamOpArbitrary(t.vocab, t.eventNames), { minLength: 1, maxLength: 6 });
  const contextsOf = (own: C | undefined): readonly C[] => (own === undefined ? t.seedContexts : [own]);

  describe(`${t.name} response mapper fuzz`, () => {
    it('seeds: every fixture maps or throws a typed error', () => {
      for (const seed of t.bodySeeds) for (const context of contextsOf(seed.context)) t.parse(seed.value, context);
    });

    it('arbitrary JSON bodies', () => {
      fc.assert(
        fc.property(jsonAst(t.vocab, t.bodyDepth), t.context, (ast, context) => void t.parse(astValue(ast), context)),
        { numRuns: t.runs.arbitraryBody },
      );
    });

    it('mutated fixtures', () => {
      fc.assert(
        fc.property(fc.constantFrom(...t.bodySeeds), mutations, t.context, (seed, ops, drawn) => {
          t.parse(JSON.parse(mutateJson(seed.value, ops)), seed.context ?? drawn);
        }),
        { numRuns: t.runs.mutatedBody },
      );
    });
  });

  describe(`${t.name} stream mapper fuzz`, () => {
    it('seeds: every fixture stream maps or throws a typed error', () => {
      for (const seed of t.streamSeeds) for (const context of contextsOf(seed.context)) t.stream(seed.events, context);
    });

    it('arbitrary event sequences', () => {
      fc.assert(
        fc.property(fc.array(arbitraryEvent(t.vocab, t.eventNames), { maxLength: t.maxEvents }), t.context, (events, context) => void t.stream(events, context)),
        { numRuns: t.runs.arbitraryEvents },
      );
    });

    it('mutated fixture streams (fields, truncation, dropped/duplicated/reordered/renamed/inserted events)', () => {
      fc.assert(
        fc.property(fc.constantFrom(...t.streamSeeds), streamOps, t.context, (seed, ops, drawn) => {
          t.stream(applyStreamOps(seed.events, ops), seed.context ?? drawn);
        }),
        { numRuns: t.runs.mutatedStream },
      );
    });
  });
}
