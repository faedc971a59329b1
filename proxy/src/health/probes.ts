import type { ModelType } from '@vllm-router/common/routing-table';

/** One small real request that proves an (engine, model) pair works. */
export interface Probe {
  path: string;
  contentType: string;
  body: Buffer;
}

const json = (path: string, body: Record<string, unknown>): Probe => ({
  path,
  contentType: 'application/json',
  body: Buffer.from(JSON.stringify(body)),
});

/** A 1x1 transparent PNG, for vision models. */
const PIXEL_PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

/**
 * The request sent for each model type, as the reference router sends them: chat says "Hello" with
 * max_tokens 3, completion the same as a prompt, and the pooling and audio types their own minimum.
 */
export function probeFor(type: ModelType, model: string): Probe {
  switch (type) {
    case 'chat':
      return json('/v1/chat/completions', { model, messages: [{ role: 'user', content: 'Hello' }], temperature: 0, max_tokens: 3, max_completion_tokens: 3 });
    case 'completion':
      return json('/v1/completions', { model, prompt: 'Hello', max_tokens: 3 });
    case 'embeddings':
      return json('/v1/embeddings', { model, input: 'Hello' });
    case 'rerank':
      return json('/v1/rerank', { model, query: 'Hello', documents: ['Test'] });
    case 'score':
      return json('/v1/score', { model, encoding_format: 'float', text_1: 'Test', text_2: 'Test2' });
    case 'vision':
      return json('/v1/chat/completions', {
        model,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }, { type: 'image_url', image_url: { url: PIXEL_PNG } }] }],
        max_tokens: 3,
      });
    case 'messages':
      return json('/v1/messages', { model, max_tokens: 3, messages: [{ role: 'user', content: 'Hello' }] });
    case 'transcription':
      return transcriptionProbe(model);
  }
}

/** multipart/form-data with a tenth of a second of 16 kHz mono silence as WAV. */
function transcriptionProbe(model: string): Probe {
  const boundary = 'vllm-router-health-check';
  const samples = 1600;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(16_000, 24);
  wav.writeUInt32LE(32_000, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(samples * 2, 40);
  const part = (headers: string, content: Buffer | string) => [Buffer.from(`--${boundary}\r\n${headers}\r\n\r\n`), Buffer.from(content), Buffer.from('\r\n')];
  const body = Buffer.concat([
    ...part('Content-Disposition: form-data; name="model"', model),
    ...part('Content-Disposition: form-data; name="file"; filename="health-check.wav"\r\nContent-Type: audio/wav', wav),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
  return { path: '/v1/audio/transcriptions', contentType: `multipart/form-data; boundary=${boundary}`, body };
}
