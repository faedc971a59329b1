import { outputToken, WORDS } from './tokens.js';

/**
 * How many output tokens `text` already ends with: the largest k >= 1 such that text ends with
 * outputText(k), or 0. A model asked to continue its own words carries on with token k. Linear in the
 * text: for each residue of the last token's index, walk the sequence backwards.
 */
export function continuedTokens(text: string): number {
  let best = 0;
  for (let residue = 0; residue < WORDS.length; residue++) {
    let end = text.length;
    for (let walked = 0; ; walked++) {
      // The token before these `walked` ones has index residue - walked (mod cycle); index 0 is "the", unspaced.
      if (walked % WORDS.length === residue && text.endsWith(outputToken(0), end)) best = Math.max(best, walked + 1);
      const index = ((residue - walked) % WORDS.length) + WORDS.length;
      // outputToken(i) for i > 0 is the spaced word; WORDS.length + x keeps the index positive and spaced.
      const token = outputToken(index);
      if (!text.endsWith(token, end)) break;
      end -= token.length;
    }
  }
  return best;
}
