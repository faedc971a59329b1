/** The one request every target gets: a small chat completion for the model the proxy serves. */
export const MODEL = 'bench-model';
export const CHAT_PATH = '/v1/chat/completions';

const messages = [{ role: 'user', content: 'Say hello in one short sentence.' }];

export const CHAT_BODY = JSON.stringify({ model: MODEL, messages, max_tokens: 16 });
export const STREAM_BODY = JSON.stringify({ model: MODEL, messages, max_tokens: 16, stream: true });
