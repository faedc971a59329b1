import { simErrors } from './errors.js';

export interface ChatTemplateOptions {
  /** Append the assistant header that starts a new turn (vLLM's add_generation_prompt; default true). */
  addGenerationPrompt?: boolean;
  /** Leave the final message open, to be continued (vLLM's continue_final_message). */
  continueFinalMessage?: boolean;
}

/**
 * Prompts are rendered to one string (like a chat template would) so token counting and
 * prefix-cache hashing see every message, in order: a shared system prompt becomes a shared prefix.
 * A continued final message ends the prompt without its terminator, so that continuing an assistant
 * message renders exactly as the uninterrupted turn plus the text so far.
 */
export function renderChatPrompt(messages: unknown, options: ChatTemplateOptions = {}): string {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw simErrors.badRequest('"messages" must be a non-empty array.', 'messages');
  }
  let prompt = '';
  const last = messages.length - 1;
  for (const [i, message] of (messages as unknown[]).entries()) {
    if (!isRecord(message) || typeof message.role !== 'string') {
      throw simErrors.badRequest('Each message needs a string "role".', 'messages');
    }
    const open = options.continueFinalMessage === true && i === last;
    prompt += `<|${message.role}|>\n${renderContent(message.content)}${open ? '' : '\n'}`;
  }
  if (options.continueFinalMessage === true || options.addGenerationPrompt === false) return prompt;
  return `${prompt}<|assistant|>\n`;
}

/** The content of the final message, rendered (for continuing it). */
export function finalMessageText(messages: unknown): string {
  const last = Array.isArray(messages) ? (messages[messages.length - 1] as unknown) : undefined;
  return isRecord(last) ? renderContent(last.content) : '';
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
