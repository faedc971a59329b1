import { simErrors } from './errors.js';

/**
 * Prompts are rendered to one string (like a chat template would) so token counting and
 * prefix-cache hashing see every message, in order: a shared system prompt becomes a shared prefix.
 */
export function renderChatPrompt(messages: unknown): string {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw simErrors.badRequest('"messages" must be a non-empty array.', 'messages');
  }
  let prompt = '';
  for (const message of messages as unknown[]) {
    if (!isRecord(message) || typeof message.role !== 'string') {
      throw simErrors.badRequest('Each message needs a string "role".', 'messages');
    }
    prompt += `<|${message.role}|>\n${renderContent(message.content)}\n`;
  }
  return `${prompt}<|assistant|>\n`;
}

/** /v1/completions: a string, or a list of strings rendered one per line. */
export function renderCompletionPrompt(prompt: unknown): string {
  if (typeof prompt === 'string') return prompt;
  if (Array.isArray(prompt) && prompt.length > 0 && prompt.every((p) => typeof p === 'string')) return prompt.join('\n');
  throw simErrors.badRequest('"prompt" must be a string or a non-empty array of strings.', 'prompt');
}

/** Message content is a string, null (assistant tool calls), or parts; non-text parts leave a marker. */
function renderContent(content: unknown): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) => {
        if (!isRecord(part) || typeof part.type !== 'string') throw simErrors.badRequest('Content parts need a "type".', 'messages');
        return part.type === 'text' && typeof part.text === 'string' ? part.text : `[${part.type}]`;
      })
      .join('');
  }
  throw simErrors.badRequest('Message "content" must be a string or an array of parts.', 'messages');
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
