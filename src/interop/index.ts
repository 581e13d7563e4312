export { createFetchHandler, type FetchHandler, type FetchHandlerOptions } from './fetch-handler.js';
export { errorResponse, openAIError, toOpenAIError, type OpenAIErrorBody, type OpenAIErrorResponse } from './errors.js';
export { MODELMUX_HEADERS, MODELMUX_HEADER_PREFIX, modelsFromHeaders, requestOptionsFromHeaders } from './headers.js';
export { toOpenAIModel, toOpenAIModelList, type ModelListEntry, type OpenAIModel, type OpenAIModelList } from './models.js';
export { chunksToSse, SSE_DONE, sseData, sseError, type ChunkSource } from './sse.js';
