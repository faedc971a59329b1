/** Reading a real engine's own /metrics in tests (lenient: vLLM's text has _created samples and more). */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

export async function engineSamples(url: string): Promise<Sample[]> {
  let response: Response;
  try {
    response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  } catch {
    // Once more on a fresh connection: a busy vLLM may have just closed the pooled one.
    response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000), headers: { connection: 'close' } });
  }
  if (response.status !== 200) throw new Error(`${url}/metrics: HTTP ${response.status}`);
  return parseSamples(await response.text());
}

/** Sum of a family's samples (optionally only those with `labels`), or undefined when absent. */
export function total(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const matching = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return matching.length ? matching.reduce((a, s) => a + s.value, 0) : undefined;
}

/** The engine's own view of what the router reads from it. */
export async function engineState(url: string) {
  const s = await engineSamples(url);
  const info = s.find((x) => x.name === 'vllm:cache_config_info')?.labels;
  return {
    running: total(s, 'vllm:num_requests_running'),
    waiting: total(s, 'vllm:num_requests_waiting'),
    kvUsage: total(s, 'vllm:kv_cache_usage_perc'),
    prefixHits: total(s, 'vllm:prefix_cache_hits_total'),
    prefixQueries: total(s, 'vllm:prefix_cache_queries_total'),
    blockSize: info ? Number(info.block_size) : undefined,
    numGpuBlocks: info ? Number(info.num_gpu_blocks) : undefined,
    // Answers given whole: vLLM counts a request the client cut as finished_reason="abort" (some
    // of the time: when the cut reaches its output processor), and a failed one as "error".
    succeeded: s.filter((x) => x.name === 'vllm:request_success_total' && x.labels.finished_reason !== 'abort' && x.labels.finished_reason !== 'error').reduce((n, x) => n + x.value, 0),
  };
}

/**
 * The engine's state once it is idle and its counters have stopped moving (two reads 500 ms apart
 * agree): on a busy machine vLLM records an answer's success a moment after sending it.
 */
export async function settledEngineState(url: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last = await engineState(url);
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = await engineState(url);
    if (now.running === 0 && now.waiting === 0 && now.succeeded === last.succeeded && now.prefixHits === last.prefixHits) return now;
    last = now;
  }
  throw new Error(`${url}: the engine's counters still moved after ${timeoutMs} ms`);
}
