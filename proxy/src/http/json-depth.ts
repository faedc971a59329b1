/**
 * JSON nesting limit, checked before parsing. JSON.parse copes with any depth, but JSON.stringify
 * and every recursive walk after it overflow the stack at a few thousand levels, which a 10 KB body
 * reaches. No OpenAI request comes near this (a JSON schema ten objects deep is about 25 levels).
 */
export const MAX_JSON_DEPTH = 128;

export class JsonTooDeepError extends Error {
  constructor(readonly maxDepth: number) {
    super(`JSON nests deeper than ${maxDepth} levels`);
    this.name = 'JsonTooDeepError';
  }
}

/** JSON.parse, refusing input nested deeper than `maxDepth` with JsonTooDeepError (bad syntax: SyntaxError). */
export function parseJsonWithDepthLimit(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  if (nestingExceeds(text, maxDepth)) throw new JsonTooDeepError(maxDepth);
  return JSON.parse(text);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * True when brackets outside strings open more than `max` levels. One pass; strings are skipped
 * with indexOf (prompts are mostly long strings). Malformed input is left to JSON.parse.
 */
export function nestingExceeds(text: string, max: number): boolean {
  if (text.length <= max) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(text, i + 1);
      if (i < 0) return false;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** Index of the quote that closes a string starting at `from`, or -1 if it never closes. */
function closingQuote(text: string, from: number): number {
  for (let at = text.indexOf('"', from); at !== -1; at = text.indexOf('"', at + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
  return -1;
}
