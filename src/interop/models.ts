/** `GET …/models` in OpenAI's list shape. */

/**
 * One model for `GET /models`. `id` is what callers put in `model` (an alias, a group, a
 * `provider/model` id). Any extra field (`pricing`, `context_window`, …) is passed through.
 */
export interface ModelListEntry {
  id: string;
  /** Unix seconds; `0` when not given. */
  created?: number;
  /** Default: `modelmux`. */
  owned_by?: string;
  [extra: string]: unknown;
}

export interface OpenAIModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  [extra: string]: unknown;
}

export interface OpenAIModelList {
  object: 'list';
  data: OpenAIModel[];
}

export function toOpenAIModel(entry: ModelListEntry): OpenAIModel {
  return {
    ...entry,
    id: entry.id,
    object: 'model',
    created: typeof entry.created === 'number' ? entry.created : 0,
    owned_by: typeof entry.owned_by === 'string' ? entry.owned_by : 'modelmux',
  };
}

export function toOpenAIModelList(entries: readonly ModelListEntry[]): OpenAIModelList {
  return { object: 'list', data: entries.map(toOpenAIModel) };
}
