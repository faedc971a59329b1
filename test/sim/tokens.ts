/**
 * The sim has no tokenizer. This one rule turns text into tokens everywhere: prompts, outputs,
 * embeddings and KV-cache blocks (a block of B tokens is B * CHARS_PER_TOKEN characters).
 */
export const CHARS_PER_TOKEN = 4;

export function countTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

// Three-letter words joined by spaces: every output token is at most 4 characters,
// so countTokens(outputText(n)) === n and the text stays readable.
export const WORDS = ['the', 'old', 'fox', 'ran', 'far', 'and', 'hid', 'but', 'the', 'sly', 'owl', 'saw', 'him'] as const;

/** The i-th generated token; deterministic so tests and benchmarks can predict output. */
export function outputToken(index: number): string {
  const word = WORDS[index % WORDS.length];
  return index === 0 ? word : ` ${word}`;
}

export function outputText(tokens: number): string {
  let text = '';
  for (let i = 0; i < tokens; i++) text += outputToken(i);
  return text;
}
