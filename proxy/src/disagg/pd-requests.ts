import type { DisaggregatedLogic } from '@vllm-router/common/routing-table';

type Json = Record<string, unknown>;

/** The endpoints whose requests are split into a prefill leg and a decode leg. */
export const DISAGGREGATED_PATHS: ReadonlySet<string> = new Set(['/v1/chat/completions', '/v1/completions']);

/**
 * What the prefill leg asks a vLLM prefill engine whose KV connector hands blocks over by
 * `kv_transfer_params` (NixlConnector and the like): compute the prompt, keep its blocks for a
 * remote decode, and say where they are. vLLM's P/D proxy examples send exactly these fields.
 */
export function prefillKvRequestParams(): Json {
  return {
    do_remote_decode: true,
    do_remote_prefill: false,
    remote_engine_id: null,
    remote_block_ids: null,
    remote_host: null,
    remote_port: null,
  };
}

/**
 * The prefill leg's body: the client's request computing one token, not streamed (the router reads
 * the answer). As vLLM's and production-stack's proxies do: `max_tokens: 1`; `max_completion_tokens`
 * set to 1 when present (orchestrated; the LMCache mode drops it, as production-stack does);
 * `min_tokens` and `min_completion_tokens` dropped (vLLM refuses min above max);
 * `stream_options` dropped. Orchestrated mode asks for `kv_transfer_params` (replacing any the
 * client sent, so a client can never point a decode engine at blocks of its choosing).
 */
export function prefillBody(json: Json, mode: DisaggregatedLogic): Json {
  const body: Json = { ...json, max_tokens: 1, stream: false };
  if ('max_completion_tokens' in body) {
    if (mode === 'disaggregated_prefill_orchestrated') body.max_completion_tokens = 1;
    else delete body.max_completion_tokens;
  }
  delete body.min_tokens;
  delete body.min_completion_tokens;
  delete body.stream_options;
  if (mode === 'disaggregated_prefill_orchestrated') body.kv_transfer_params = prefillKvRequestParams();
  else delete body.kv_transfer_params;
  return body;
}

/**
 * The decode leg's body: the client's request as it came (its max_tokens, min_tokens, stream and
 * stream_options), plus, in orchestrated mode, the prefill answer's `kv_transfer_params` exactly as
 * returned: current vLLM puts fields there that early examples lack (`remote_request_id`,
 * `tp_size`, block ids per KV-cache group), and the decode engine needs them all.
 */
export function decodeBody(json: Json, kvTransferParams: Json | undefined): Json {
  const body: Json = { ...json };
  if (kvTransferParams) body.kv_transfer_params = kvTransferParams;
  else delete body.kv_transfer_params;
  return body;
}

export type KvParamsResult = { ok: true; params: Json } | { ok: false; reason: string };

/** The prefill answer's `kv_transfer_params`: any JSON object, passed on untouched; anything else is a failed prefill. */
export function kvTransferParamsOf(answer: unknown): KvParamsResult {
  if (!isObject(answer)) return { ok: false, reason: 'the prefill answer is not a JSON object' };
  const params = answer.kv_transfer_params;
  if (params === undefined || params === null)
    return { ok: false, reason: 'the prefill answer has no kv_transfer_params (is the engine started with a --kv-transfer-config connector such as NixlConnector?)' };
  if (!isObject(params)) return { ok: false, reason: 'the prefill answer\'s kv_transfer_params is not an object' };
  return { ok: true, params };
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
