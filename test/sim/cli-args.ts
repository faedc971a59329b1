import yargs from 'yargs';
import { DEATH_MODES, type EngineSimOptions } from './options.js';

/** The vllm-engine-sim command line; flag names follow vLLM's where vLLM has one (--max-num-seqs, --block-size ...). */
export function simArgs(argv: string[]) {
  return yargs(argv)
    .scriptName('vllm-engine-sim')
    .usage('$0 [options]\n\nAn OpenAI-compatible LLM engine simulator (vLLM/SGLang metrics, prefix cache, queueing, fault injection).')
    .options({
      model: { type: 'string', array: true, default: ['sim-model'], describe: 'Served model name (repeatable or comma list; first is the default)' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'number', default: 8000, describe: '0 picks an ephemeral port' },
      'engine-id': { type: 'string', describe: 'Engine id for x-engine-id / system_fingerprint (default host:port)' },
      'token-delay-ms': { type: 'number', default: 0, describe: 'Decode time per output token after the first (which prefill yields)' },
      'output-tokens': { type: 'number', default: 16, describe: 'Output length before max_tokens caps it' },
      'output-tokens-min': { type: 'number', describe: 'Random output length: minimum (needs --output-tokens-max)' },
      'output-tokens-max': { type: 'number', describe: 'Random output length: maximum (needs --output-tokens-min)' },
      'error-rate': { type: 'number', default: 0, describe: 'Probability (0..1) of a 500 on inference requests' },
      hang: { type: 'boolean', default: false, describe: 'Accept inference requests and never answer' },
      'reset-before-response': { type: 'boolean', default: false, describe: 'Destroy the connection on receiving an inference request' },
      'reset-mid-stream': { type: 'number', describe: 'Destroy the connection after this many stream chunks' },
      'die-after-chunks': { type: 'number', describe: 'Die after this many stream chunks, as --death-mode says (non-streamed: halfway through the body)' },
      'death-mode': { choices: DEATH_MODES, default: 'reset' as const, describe: 'reset (connection destroyed), fin (response ended early), error-event (vLLM error event, [DONE]), stall (nothing more sent)' },
      'continue-completions': { type: 'boolean', default: false, describe: 'A completions prompt ending with the start of the output sequence continues it' },
      'max-num-seqs': { type: 'number', default: 256, describe: 'Concurrent requests; the rest queue FIFO' },
      'scheduling-policy': { choices: ['fcfs', 'priority'] as const, default: 'fcfs' as const, describe: 'fcfs refuses a non-zero request priority (400, as vLLM); priority queues by it' },
      'block-size': { type: 'number', default: 16, describe: 'Tokens per KV-cache block' },
      'num-gpu-blocks': { type: 'number', default: 2048, describe: 'KV-cache capacity in blocks' },
      'prefill-ms-per-token': { type: 'number', default: 0, describe: 'Prefill time per uncached prompt token' },
      'metrics-flavor': { choices: ['vllm', 'sglang'] as const, default: 'vllm' as const, describe: 'Metric names on /metrics' },
      seed: { type: 'number', default: 1, describe: 'Seed for error injection and random output lengths' },
      'max-num-batched-tokens': { type: 'number', describe: 'Run shared engine steps with chunked prefill of at most this many tokens per step (vLLM\'s --max-num-batched-tokens); unset: per-request timing' },
      role: { choices: ['prefill', 'decode'] as const, describe: 'Disaggregated prefill role (unset: an ordinary engine)' },
      'kv-connector': { choices: ['nixl', 'lmcache'] as const, describe: 'How KV moves: nixl (kv_transfer_params, pulled once; the default) or lmcache (decode looks blocks up in --kv-peers)' },
      'kv-peers': { type: 'string', array: true, describe: 'LMCache mode: prefill engine URLs a decode engine looks blocks up in (repeatable or comma list)' },
      'kv-lease-ms': { type: 'number', describe: 'How long a prefill engine keeps blocks no decode engine pulled (default 30000)' },
      'kv-transfer-ms-per-token': { type: 'number', describe: 'Time a decode engine spends receiving each prompt token\'s KV cache (default 0)' },
    })
    .check((a) => {
      if ((a['output-tokens-min'] === undefined) !== (a['output-tokens-max'] === undefined)) {
        throw new Error('--output-tokens-min and --output-tokens-max go together');
      }
      return true;
    })
    .strict()
    .version(false)
    .help();
}

type ParsedSimArgs = ReturnType<ReturnType<typeof simArgs>['parseSync']>;

export function toSimOptions(a: ParsedSimArgs): EngineSimOptions {
  const min = a['output-tokens-min'];
  const max = a['output-tokens-max'];
  return {
    models: a.model.flatMap((m) => m.split(',')).map((m) => m.trim()).filter((m) => m.length > 0),
    host: a.host,
    port: a.port,
    engineId: a['engine-id'],
    tokenDelayMs: a['token-delay-ms'],
    outputTokens: a['output-tokens'],
    outputTokensRange: min !== undefined && max !== undefined ? [min, max] : undefined,
    errorRate: a['error-rate'],
    hang: a.hang,
    resetBeforeResponse: a['reset-before-response'],
    resetMidStream: a['reset-mid-stream'] ?? null,
    dieAfterChunks: a['die-after-chunks'] ?? null,
    deathMode: a['death-mode'],
    continueCompletions: a['continue-completions'],
    maxNumSeqs: a['max-num-seqs'],
    schedulingPolicy: a['scheduling-policy'],
    blockSize: a['block-size'],
    numGpuBlocks: a['num-gpu-blocks'],
    prefillMsPerToken: a['prefill-ms-per-token'],
    metricsFlavor: a['metrics-flavor'],
    seed: a.seed,
    ...(a['max-num-batched-tokens'] !== undefined ? { maxNumBatchedTokens: a['max-num-batched-tokens'] } : {}),
    ...(a.role ? { role: a.role } : {}),
    ...(a['kv-connector'] ? { kvConnector: a['kv-connector'] } : {}),
    ...(a['kv-peers'] ? { kvPeers: a['kv-peers'].flatMap((p) => p.split(',')).map((p) => p.trim()).filter((p) => p.length > 0) } : {}),
    ...(a['kv-lease-ms'] !== undefined ? { kvLeaseMs: a['kv-lease-ms'] } : {}),
    ...(a['kv-transfer-ms-per-token'] !== undefined ? { kvTransferMsPerToken: a['kv-transfer-ms-per-token'] } : {}),
  };
}

/** Parse without exiting the process on bad input (for tests and embedding): throws instead. */
export function parseSimArgs(argv: string[]): EngineSimOptions {
  const parsed = simArgs(argv)
    .exitProcess(false)
    .fail((message, err) => {
      throw err ?? new Error(message);
    })
    .parseSync();
  return toSimOptions(parsed);
}
