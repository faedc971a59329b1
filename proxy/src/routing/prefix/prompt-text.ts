import type { PickRequest } from '../policies/policy.js';

/**
 * The prompt as one string, the way a chat template sees it: every message in order (not only the
 * first), so a conversation's later turns extend its earlier turns' prefix. Covers chat, completions,
 * responses and messages bodies. Stops once `budget` characters are rendered (only that many are
 * hashed). Undefined when the body carries no prompt.
 */
export function promptTextOf(request: PickRequest, budget: number): string | undefined {
  const body = request.body;
  if (!body) return undefined;
  const out = new Budgeted(budget);
  if (Array.isArray(body.tools) && body.tools.length > 0) out.add(`<|tools|>\n${JSON.stringify(body.tools)}\n`);
  if (body.system !== undefined) out.add(`<|system|>\n${contentText(body.system)}\n`);
  if (typeof body.instructions === 'string') out.add(`<|system|>\n${body.instructions}\n`);
  if (Array.isArray(body.messages)) addMessages(out, body.messages);
  else if (Array.isArray(body.input)) addMessages(out, body.input);
  else if (typeof body.input === 'string') out.add(`<|user|>\n${body.input}\n`);
  else if (typeof body.prompt === 'string') out.add(body.prompt);
  else if (Array.isArray(body.prompt)) out.add(body.prompt.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join('\n'));
  return out.text === '' ? undefined : out.text;
}

class Budgeted {
  text = '';
  constructor(private readonly budget: number) {}
  get full(): boolean {
    return this.text.length >= this.budget;
  }
  add(piece: string): void {
    if (!this.full) this.text += piece.length > this.budget ? piece.slice(0, this.budget) : piece;
  }
}

function addMessages(out: Budgeted, messages: unknown[]): void {
  for (const m of messages) {
    if (out.full) return;
    if (typeof m !== 'object' || m === null) continue;
    const message = m as Record<string, unknown>;
    const role = typeof message.role === 'string' ? message.role : 'user';
    out.add(`<|${role}|>\n${contentText(message.content)}`);
    if (message.tool_calls !== undefined) out.add(JSON.stringify(message.tool_calls));
    out.add('\n');
  }
}

/** Text of a message content: a string, or parts (text kept, other parts by their URL or type). */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return content === undefined || content === null ? '' : JSON.stringify(content);
  let text = '';
  for (const part of content) {
    if (typeof part !== 'object' || part === null) continue;
    const p = part as Record<string, unknown>;
    if (typeof p.text === 'string') text += p.text;
    else {
      const image = p.image_url as { url?: unknown } | string | undefined;
      const url = typeof image === 'string' ? image : image?.url;
      text += typeof url === 'string' ? `[${url}]` : `[${String(p.type)}]`;
    }
  }
  return text;
}
