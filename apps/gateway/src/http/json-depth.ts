/**
 * How deeply a request body may nest objects and arrays. OpenAI's request shapes need a handful
 * of levels and tool schemas a few dozen; far deeper bodies only serve to exhaust parsers
 * further down (the queue's Lua JSON decoder stops at 1000).
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;

/**
 * Whether UTF-8 JSON text nests objects and arrays more than `limit` levels deep, read before it
 * is parsed: one pass over the bytes that counts brackets outside strings. Malformed text is
 * left to the parser; only its nesting is judged here. Bytes of multi-byte UTF-8 characters are
 * all ≥ 0x80, so they are never mistaken for brackets or quotes.
 */
export function exceedsJsonDepth(json: Uint8Array, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const byte = json[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (++depth > limit) return true;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth--;
    }
  }
  return false;
}
