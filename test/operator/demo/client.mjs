// The demo's client: the official OpenAI SDK against the proxy; prints which engine pod answered.
import OpenAI from 'openai';

const [baseURL, ...models] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: 'demo', maxRetries: 0, timeout: 5000 });
for (const model of models) {
  for (let i = 0; i < 3; i++) {
    const r = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 6 });
    console.log(`   ${model.padEnd(9)} -> ${r.system_fingerprint}  "${r.choices[0]?.message.content ?? ''}"`);
  }
}
