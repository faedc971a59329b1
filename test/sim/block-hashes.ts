import { createHash } from 'node:crypto';
import { CHARS_PER_TOKEN } from './tokens.js';

/**
 * Hashes of the prompt's full KV blocks, chained as vLLM does: each block's hash covers its parent's,
 * so a block can only match after an identical prefix. The model name seeds the chain so models never share blocks.
 */
export function promptBlockHashes(model: string, prompt: string, promptTokens: number, blockSize: number): string[] {
  const fullBlocks = Math.floor(promptTokens / blockSize);
  const blockChars = blockSize * CHARS_PER_TOKEN;
  const hashes: string[] = [];
  let parent = model;
  for (let i = 0; i < fullBlocks; i++) {
    const text = prompt.slice(i * blockChars, (i + 1) * blockChars);
    parent = createHash('sha256').update(parent).update('\0').update(text).digest('base64url');
    hashes.push(parent);
  }
  return hashes;
}
