/**
 * The model cards engines publish at GET /v1/models (vLLM: `max_model_len`, `owned_by: "vllm"`,
 * `root` = the model path, `parent` = the base model of a LoRA adapter), fetched in the background
 * so GET /v1/models through the router can pass them on. The same request is the probe that
 * brings an unreachable engine back (see OutlierDetector).
 */

/** A card as an engine sent it; every field is kept, `id` is the only one required. */
export interface ModelCard {
  id: string;
  object?: unknown;
  created?: unknown;
  owned_by?: unknown;
  root?: unknown;
  parent?: unknown;
  max_model_len?: unknown;
  [field: string]: unknown;
}

export interface CardEngine {
  id: string;
  url: string;
}

/** GETs `<url>/v1/models`: the status and, for a 200, the cards; rejects when the engine can't be reached. */
export type CardFetcher = (engineUrl: string, timeoutMs: number) => Promise<{ status: number; cards?: ModelCard[] }>;

/** Most bytes of a /v1/models answer read, and most cards kept per engine: an engine can't grow our memory. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MAX_CARDS = 10_000;

export class CardFetchFailed extends Error {}

export function httpCardFetcher(backendApiKey?: string): CardFetcher {
  return async (engineUrl, timeoutMs) => {
    let response: Response;
    try {
      response = await fetch(`${engineUrl}/v1/models`, {
        headers: { accept: 'application/json', ...(backendApiKey ? { authorization: `Bearer ${backendApiKey}` } : {}) },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new CardFetchFailed(describe(err, timeoutMs), { cause: err });
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      return { status: response.status };
    }
    let text: string;
    try {
      text = await readCapped(response, MAX_BODY_BYTES);
    } catch (err) {
      throw new CardFetchFailed(`response cut: ${describe(err, timeoutMs)}`, { cause: err });
    }
    return { status: 200, cards: parseCards(text) };
  };
}

/** The cards of an OpenAI model list; malformed entries are skipped, a malformed list gives none. */
export function parseCards(text: string): ModelCard[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [];
  }
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return [];
  const cards: ModelCard[] = [];
  for (const entry of data.slice(0, MAX_CARDS))
    if (entry !== null && typeof entry === 'object' && !Array.isArray(entry) && typeof (entry as { id?: unknown }).id === 'string' && (entry as { id: string }).id !== '')
      cards.push(entry as ModelCard);
  return cards;
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`model list larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describe(err: unknown, timeoutMs: number): string {
  // Duck-typed: fetch's errors may come from another realm (Jest's VM), where instanceof fails.
  if (typeof err !== 'object' || err === null || !('message' in err)) return String(err);
  const e = err as { name?: unknown; message: unknown; cause?: { code?: unknown; message?: unknown } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const code = e.cause && typeof e.cause === 'object' ? (e.cause.code ?? e.cause.message) : undefined;
  return code !== undefined ? `${String(e.message)} (${String(code)})` : String(e.message);
}

export interface ModelCardCacheOptions {
  intervalMs: number;
  timeoutMs: number;
  fetch: CardFetcher;
  /** The engine answered (below 500): it is up (outlier detection counts it as having answered). */
  onAnswer?: (engineId: string) => void;
}

/**
 * Each engine's last cards, refreshed every interval and at once for an engine new to the table.
 * Engines that leave the table are forgotten.
 */
export class ModelCardCache {
  private readonly byEngine = new Map<string, { url: string; cards: ModelCard[] }>();
  private engines: CardEngine[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ModelCardCacheOptions) {}

  setEngines(engines: readonly CardEngine[]): void {
    const ids = new Set(engines.map((e) => e.id));
    for (const id of this.byEngine.keys()) if (!ids.has(id)) this.byEngine.delete(id);
    const before = new Map(this.engines.map((e) => [e.id, e.url]));
    const fresh = engines.filter((e) => before.get(e.id) !== e.url);
    this.engines = [...engines];
    if (this.timer) for (const e of fresh) void this.refresh(e).catch(() => undefined);
  }

  cards(engineId: string): readonly ModelCard[] {
    return this.byEngine.get(engineId)?.cards ?? [];
  }

  /**
   * Ask one engine; keeps its cards on a 200. Resolves when the engine answered below 500 (it is
   * reachable: the probe passes), rejects otherwise.
   */
  async refresh(engine: CardEngine): Promise<void> {
    const answer = await this.options.fetch(engine.url, this.options.timeoutMs);
    const current = this.engines.find((e) => e.id === engine.id);
    if (answer.cards && current?.url === engine.url) this.byEngine.set(engine.id, { url: engine.url, cards: answer.cards });
    if (answer.status >= 500) throw new CardFetchFailed(`GET /v1/models answered HTTP ${answer.status}`);
    this.options.onAnswer?.(engine.id);
  }

  refreshAll(): Promise<void> {
    return Promise.allSettled(this.engines.map((e) => this.refresh(e))).then(() => undefined);
  }

  start(): void {
    if (this.timer) return;
    void this.refreshAll();
    this.timer = setInterval(() => void this.refreshAll(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
