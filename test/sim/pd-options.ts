/** What a simulated engine does under disaggregated prefill; absent, it is an ordinary engine. */
export type SimEngineRole = 'prefill' | 'decode';
/**
 * How KV moves between a prefill and a decode engine. `nixl`: vLLM's kv_transfer_params protocol
 * (NixlConnector): the prefill answer names its engine and blocks, the decode engine pulls them
 * once. `lmcache`: the decode engine looks the prompt's blocks up in its peers' caches (standing
 * in for LMCache's lookup) and computes what it finds nowhere.
 */
export type SimKvConnector = 'nixl' | 'lmcache';

export interface PdSimOptions {
  role?: SimEngineRole;
  /** Default nixl. */
  kvConnector?: SimKvConnector;
  /** LMCache mode: base URLs of the prefill engines a decode engine looks blocks up in. */
  kvPeers?: string[];
  /** How long a prefill engine holds blocks nobody pulled (NixlConnector's kv_lease_duration, 30 s by default). */
  kvLeaseMs?: number;
  /** Time a decode engine spends receiving each prompt token's KV cache. Default 0. */
  kvTransferMsPerToken?: number;
  /** vLLM's max_num_batched_tokens: when set, the engine runs shared steps with chunked prefill (see chunked-prefill.ts). */
  maxNumBatchedTokens?: number;
}

export interface ResolvedPdSimOptions {
  role: SimEngineRole | null;
  kvConnector: SimKvConnector;
  kvPeers: string[];
  kvLeaseMs: number;
  kvTransferMsPerToken: number;
  maxNumBatchedTokens: number | null;
}

export function resolvePdOptions(o: PdSimOptions): ResolvedPdSimOptions {
  const resolved: ResolvedPdSimOptions = {
    role: o.role ?? null,
    kvConnector: o.kvConnector ?? 'nixl',
    kvPeers: (o.kvPeers ?? []).map((url) => url.replace(/\/+$/, '')),
    kvLeaseMs: o.kvLeaseMs ?? 30_000,
    kvTransferMsPerToken: o.kvTransferMsPerToken ?? 0,
    maxNumBatchedTokens: o.maxNumBatchedTokens ?? null,
  };
  check(resolved.role === null || resolved.role === 'prefill' || resolved.role === 'decode', 'role must be prefill or decode');
  check(resolved.kvConnector === 'nixl' || resolved.kvConnector === 'lmcache', 'kvConnector must be nixl or lmcache');
  check(resolved.kvPeers.every(isHttpUrl), 'kvPeers must be http(s) URLs');
  check(Number.isInteger(resolved.kvLeaseMs) && resolved.kvLeaseMs >= 1, 'kvLeaseMs must be an integer >= 1');
  check(Number.isFinite(resolved.kvTransferMsPerToken) && resolved.kvTransferMsPerToken >= 0, 'kvTransferMsPerToken must be >= 0');
  const batched = resolved.maxNumBatchedTokens;
  check(batched === null || (Number.isInteger(batched) && batched >= 1), 'maxNumBatchedTokens must be an integer >= 1');
  return resolved;
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(`vllm-engine-sim: ${message}`);
}
