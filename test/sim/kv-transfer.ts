import { promptBlockHashes } from './block-hashes.js';
import { SimError } from './errors.js';
import type { ResolvedPdSimOptions } from './pd-options.js';
import { isRecord } from './prompt.js';
import { sleepUntil } from './sleep.js';

type Json = Record<string, unknown>;

/** Blocks a prefill engine holds for a remote decode until it pulls them or their lease ends. */
interface KvExport {
  blockIds: number[][];
  tokens: number;
  release(): void;
  timer: NodeJS.Timeout;
}

export interface KvTransferConfig {
  engineId: string;
  /** Where this engine listens: what its kv_transfer_params name as remote_host / remote_port. */
  host: string;
  port: number;
  blockSize: number;
  pd: ResolvedPdSimOptions;
  /** Leading blocks of this hash chain in the local prefix cache (an LMCache peer's lookup). */
  cachedPrefixBlocks(hashes: readonly string[]): number;
}

export interface KvPrompt {
  model: string;
  prompt: string;
  promptTokens: number;
}

/** How long a decode engine waits for a peer's answer about blocks. */
const PEER_TIMEOUT_MS = 5_000;
/** Most block hashes one lookup may carry (a 1.6M-token prompt at 16 tokens per block). */
const MAX_LOOKUP_HASHES = 100_000;

export const kvErrors = {
  missingParams: () =>
    new SimError(
      400,
      'invalid_kv_transfer_params',
      'This is a decode engine (--role decode, nixl connector): the request needs the kv_transfer_params of a prefill engine\'s answer.',
      'invalid_request_error',
      'kv_transfer_params',
    ),
  invalidParams: (why: string) => new SimError(400, 'invalid_kv_transfer_params', `kv_transfer_params ${why}.`, 'invalid_request_error', 'kv_transfer_params'),
  pullFailed: (where: string, why: string) => new SimError(500, 'kv_transfer_failed', `Pulling KV blocks from ${where} failed: ${why}.`, 'server_error'),
  wrongEngine: (asked: string, self: string) =>
    new SimError(409, 'kv_wrong_engine', `These blocks belong to engine ${asked}; this is engine ${self}.`, 'invalid_request_error', 'remote_engine_id'),
  notHeld: (requestId: string) =>
    new SimError(404, 'kv_not_found', `No KV blocks are held for request ${requestId} (never prefilled here, already pulled, or its lease ended).`, 'not_found_error', 'remote_request_id'),
  blocksDiffer: () => new SimError(409, 'kv_blocks_mismatch', 'remote_block_ids do not match the blocks held for this request.', 'invalid_request_error', 'remote_block_ids'),
};

/**
 * The KV cache moving between simulated prefill and decode engines, over HTTP like a real
 * connector's side channel:
 *
 * - nixl, prefill role: a request with `kv_transfer_params.do_remote_decode` keeps its blocks after
 *   it ends; the answer's kv_transfer_params name this engine (id, host, port), the request and the
 *   block ids. `POST /kv/pull` hands them over once and frees them, as NixlConnector frees a
 *   prefill's blocks when the decode engine has read them; unpulled ones go after kvLeaseMs.
 * - nixl, decode role: a request must carry such params (else 400); the engine pulls the blocks from
 *   the engine they name (a failed pull is a 500) and does not compute those prompt tokens.
 * - lmcache, decode role: the engine asks each of kvPeers (`POST /kv/lookup`) how many leading
 *   blocks of the prompt it holds, takes the longest match, and computes only the rest.
 */
export class KvTransfer {
  private readonly exports = new Map<string, KvExport>();
  private exportCount = 0;
  private nextBlockId = 0;

  constructor(private readonly config: KvTransferConfig) {}

  get role(): ResolvedPdSimOptions['role'] {
    return this.config.pd.role;
  }

  /** Requests whose blocks this prefill engine holds for a remote decode now. */
  get heldExports(): number {
    return this.exports.size;
  }

  /** A prefill engine keeps this request's blocks for a remote decode (nixl, do_remote_decode, not streamed). */
  exportsFor(body: Json): boolean {
    const params = body.kv_transfer_params;
    return this.config.pd.role === 'prefill' && this.config.pd.kvConnector === 'nixl' && body.stream !== true && isRecord(params) && params.do_remote_decode === true;
  }

  /** Register the blocks of a finished prefill; returns the kv_transfer_params of its answer. */
  export(promptTokens: number, release: () => void): Json {
    const requestId = `kvx-${this.config.engineId}-${++this.exportCount}`;
    const blocks = Math.ceil(promptTokens / this.config.blockSize);
    const blockIds = [Array.from({ length: blocks }, () => this.nextBlockId++)];
    const timer = setTimeout(() => this.drop(requestId), this.config.pd.kvLeaseMs);
    timer.unref();
    this.exports.set(requestId, { blockIds, tokens: promptTokens, release, timer });
    return {
      do_remote_prefill: true,
      do_remote_decode: false,
      remote_block_ids: blockIds,
      remote_engine_id: this.config.engineId,
      remote_request_id: requestId,
      remote_host: this.config.host,
      remote_port: this.config.port,
      tp_size: 1,
    };
  }

  /**
   * Before a request runs: the prompt tokens whose KV cache comes from elsewhere (0 for an ordinary
   * or prefill engine). Throws the SimError the request is answered with when a decode engine
   * refuses it or cannot pull its blocks.
   */
  async preload(body: Json, prompt: KvPrompt, signal: AbortSignal): Promise<number> {
    if (this.config.pd.role !== 'decode') return 0;
    const tokens = this.config.pd.kvConnector === 'nixl' ? await this.pull(body.kv_transfer_params, signal) : await this.lookup(prompt, signal);
    if (tokens > 0) await sleepUntil(performance.now() + tokens * this.config.pd.kvTransferMsPerToken, signal);
    return tokens;
  }

  /** POST /kv/pull on a prefill engine: hand a request's blocks over once. */
  handlePull(body: Json): Json {
    const { remote_engine_id: engineId, remote_request_id: requestId, remote_block_ids: blockIds } = body;
    if (engineId !== this.config.engineId) throw kvErrors.wrongEngine(String(engineId), this.config.engineId);
    const held = typeof requestId === 'string' ? this.exports.get(requestId) : undefined;
    if (!held) throw kvErrors.notHeld(String(requestId));
    if (JSON.stringify(blockIds) !== JSON.stringify(held.blockIds)) throw kvErrors.blocksDiffer();
    this.drop(requestId as string);
    return { tokens: held.tokens, blocks: held.blockIds.reduce((n, group) => n + group.length, 0) };
  }

  /** POST /kv/lookup: how many leading blocks of this hash chain this engine's cache holds. */
  handleLookup(body: Json): Json {
    const hashes = body.hashes;
    if (!Array.isArray(hashes) || hashes.length > MAX_LOOKUP_HASHES || !hashes.every((h) => typeof h === 'string'))
      throw new SimError(400, 'invalid_request', `"hashes" must be an array of at most ${MAX_LOOKUP_HASHES} strings.`, 'invalid_request_error', 'hashes');
    return { matched_blocks: this.config.cachedPrefixBlocks(hashes as string[]), block_size: this.config.blockSize };
  }

  /** Free every held block (the engine is closing). */
  close(): void {
    for (const id of [...this.exports.keys()]) this.drop(id);
  }

  private drop(requestId: string): void {
    const held = this.exports.get(requestId);
    if (!held) return;
    this.exports.delete(requestId);
    clearTimeout(held.timer);
    held.release();
  }

  private async pull(params: unknown, signal: AbortSignal): Promise<number> {
    if (params === undefined || params === null) throw kvErrors.missingParams();
    if (!isRecord(params)) throw kvErrors.invalidParams('must be an object');
    if (params.do_remote_prefill !== true) throw kvErrors.invalidParams('must have do_remote_prefill: true (the prefill answer\'s params)');
    for (const field of ['remote_engine_id', 'remote_request_id', 'remote_host'] as const)
      if (typeof params[field] !== 'string' || params[field] === '') throw kvErrors.invalidParams(`need a string ${field}`);
    const port = params.remote_port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw kvErrors.invalidParams('need remote_port, a port number');
    if (!Array.isArray(params.remote_block_ids)) throw kvErrors.invalidParams('need remote_block_ids');
    const host = params.remote_host as string;
    const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const answer = await this.peerCall(`http://${where}/kv/pull`, {
      remote_engine_id: params.remote_engine_id,
      remote_request_id: params.remote_request_id,
      remote_block_ids: params.remote_block_ids,
    }, signal).catch((err: unknown) => {
      throw kvErrors.pullFailed(where, err instanceof Error ? err.message : String(err));
    });
    if (!answer.ok) throw kvErrors.pullFailed(where, answer.error);
    const tokens = answer.body.tokens;
    if (typeof tokens !== 'number' || !Number.isInteger(tokens) || tokens < 0) throw kvErrors.pullFailed(where, 'the answer named no token count');
    return tokens;
  }

  private async lookup(prompt: KvPrompt, signal: AbortSignal): Promise<number> {
    const hashes = promptBlockHashes(prompt.model, prompt.prompt, prompt.promptTokens, this.config.blockSize);
    if (hashes.length === 0 || this.config.pd.kvPeers.length === 0) return 0;
    const answers = await Promise.all(
      this.config.pd.kvPeers.map((peer) => this.peerCall(`${peer}/kv/lookup`, { hashes }, signal).catch(() => undefined)),
    );
    signal.throwIfAborted();
    let best = 0;
    for (const a of answers) {
      const matched = a?.ok ? a.body.matched_blocks : undefined;
      if (typeof matched === 'number' && Number.isInteger(matched) && matched > best) best = Math.min(matched, hashes.length);
    }
    return best * this.config.blockSize;
  }

  private async peerCall(url: string, body: Json, signal: AbortSignal): Promise<{ ok: true; body: Json } | { ok: false; error: string }> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.any([signal, AbortSignal.timeout(PEER_TIMEOUT_MS)]),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (res.ok && isRecord(parsed)) return { ok: true, body: parsed };
    const message = isRecord(parsed) && isRecord(parsed.error) && typeof parsed.error.message === 'string' ? parsed.error.message : text.slice(0, 200);
    return { ok: false, error: `${res.status} ${message}` };
  }
}
