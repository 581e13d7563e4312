import type { UrlCitation } from '../../request/types.js';
import { isRecord, readNumber, readString } from '../shared/json.js';

/**
 * Google Search grounding (`groundingMetadata`) → OpenAI `url_citation` annotations. Each
 * `groundingSupport` cites the web chunks it lists over its `segment`; Gemini gives the segment
 * in UTF-8 byte offsets of the candidate's text, converted here to the character offsets OpenAI
 * uses. `undefined` when there is nothing to cite.
 */
export function mapGrounding(metadata: unknown, text: string | undefined): UrlCitation[] | undefined {
  if (!isRecord(metadata) || !Array.isArray(metadata.groundingSupports) || !Array.isArray(metadata.groundingChunks)) return undefined;
  const chunks = metadata.groundingChunks;
  const bytes = new TextEncoder().encode(text ?? '');
  const decoder = new TextDecoder();
  const toChar = (offset: number) => decoder.decode(bytes.subarray(0, Math.min(Math.max(offset, 0), bytes.length))).length;
  const citations: UrlCitation[] = [];
  const seen = new Set<string>();
  for (const support of metadata.groundingSupports) {
    if (!isRecord(support) || !isRecord(support.segment) || !Array.isArray(support.groundingChunkIndices)) continue;
    const start = toChar(readNumber(support.segment.startIndex) ?? 0);
    const end = toChar(readNumber(support.segment.endIndex) ?? 0);
    for (const index of support.groundingChunkIndices) {
      const chunk: unknown = typeof index === 'number' ? chunks[index] : undefined;
      const web = isRecord(chunk) && isRecord(chunk.web) ? chunk.web : undefined;
      const url = readString(web?.uri);
      if (url === undefined) continue;
      const key = `${start}:${end}:${url}`;
      if (seen.has(key)) continue;
      seen.add(key);
      citations.push({ type: 'url_citation', url_citation: { start_index: start, end_index: end, title: readString(web?.title) ?? url, url } });
    }
  }
  return citations.length > 0 ? citations : undefined;
}
