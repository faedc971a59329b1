import { describe, expect, it } from '@jest/globals';
import { MODEL_TYPES } from '@vllm-router/common/routing-table';
import { probeFor } from './probes.js';

const jsonOf = (type: Parameters<typeof probeFor>[0]) => JSON.parse(probeFor(type, 'm').body.toString()) as Record<string, unknown>;

describe('health check probes', () => {
  it('asks a chat model to answer "Hello" in at most 3 tokens, as the reference router does', () => {
    const probe = probeFor('chat', 'llama');
    expect(probe.path).toBe('/v1/chat/completions');
    expect(JSON.parse(probe.body.toString())).toMatchObject({ model: 'llama', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 3 });
  });

  it('uses each model type\'s own endpoint', () => {
    const paths = Object.fromEntries(MODEL_TYPES.map((t) => [t, probeFor(t, 'm').path]));
    expect(paths).toEqual({
      chat: '/v1/chat/completions',
      completion: '/v1/completions',
      embeddings: '/v1/embeddings',
      rerank: '/v1/rerank',
      score: '/v1/score',
      transcription: '/v1/audio/transcriptions',
      vision: '/v1/chat/completions',
      messages: '/v1/messages',
    });
    expect(jsonOf('completion')).toMatchObject({ prompt: 'Hello', max_tokens: 3 });
    expect(jsonOf('embeddings')).toMatchObject({ input: 'Hello' });
    expect(jsonOf('rerank')).toMatchObject({ query: 'Hello', documents: ['Test'] });
    expect(jsonOf('score')).toMatchObject({ text_1: 'Test', text_2: 'Test2' });
  });

  it('sends a transcription model a short WAV file as multipart form data', () => {
    const probe = probeFor('transcription', 'whisper');
    expect(probe.contentType).toMatch(/^multipart\/form-data; boundary=/);
    const text = probe.body.toString('latin1');
    expect(text).toContain('name="model"\r\n\r\nwhisper\r\n');
    expect(text).toContain('filename="health-check.wav"');
    expect(text).toContain('RIFF');
    expect(text).toContain('WAVEfmt ');
  });
});
