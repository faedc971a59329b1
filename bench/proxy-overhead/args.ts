import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

/** Every knob of one benchmark run; `--quick` picks short durations for a ~1-minute run. */
export interface BenchConfig {
  quick: boolean;
  /** Each measurement is repeated this many times, targets interleaved; medians are reported. */
  rounds: number;
  warmupSeconds: number;
  wrkSeconds: number;
  wrkThreads: number;
  wrkConnections: number;
  /** The rate of the main table's latency columns (the last of `rates`). */
  pacedRate: number;
  /** Every fixed rate measured (latency interleaved; with --peers also CPU per request, alone). */
  rates: number[];
  /** Also start the Rust vllm-router and sglang-router (PyPI, cached venv) and print them beside ours. */
  peers: boolean;
  /** Seconds of idle CPU measurement of every target, all at once (0: skipped). */
  idleSeconds: number;
  /** Seconds each target gets the fixed rate alone, per rate and round, for CPU per request (0: skipped). */
  aloneSeconds: number;
  pacedSeconds: number;
  pacedConnections: number;
  /** The fixed-rate and streaming schedules go to the targets in turn, this long each. */
  sliceMs: number;
  streamRate: number;
  streamSeconds: number;
  streamChunks: number;
  streamChunkGapMs: number;
  /** Also run vllm-router at the default info log level (one access-log line per request). */
  infoLogVariant: boolean;
  nginxWorkers: string;
  jsonPath: string | undefined;
  proxyCli: string;
}

const HELP = `usage: node bench/dist/proxy-overhead/run.js [--quick] [--json <path>] [options]

Measures the overhead of vllm-router against the upstream directly, a bare node:http
pass-through proxy and nginx: max requests/s (wrk), added p50/p99 latency at a fixed rate
(open-loop paced generator), and added time to first SSE chunk.

  --quick                 short durations (~1 minute in all)
  --json <path>           also write the results as JSON
  --rounds <n>            repetitions of every measurement, targets interleaved (quick 2, full 5)
  --wrk-seconds <s>       wrk duration per target and round (quick 2, full 3)
  --wrk-threads <n>       wrk threads (2)
  --wrk-connections <n>   wrk connections (32)
  --rate <rps>[,<rps>..]  fixed rate(s) for the latency measurement (1000; with --peers 200,1000);
                          the main table shows the last
  --peers                 also install (cached venv, see install-peers.sh) and measure the Rust
                          vllm-router and sglang-router from PyPI, and print a side-by-side table
  --idle-seconds <s>      idle CPU of every target over this window (0 = skip; --peers: quick 10, full 60)
  --alone-seconds <s>     CPU per request with each target alone at each fixed rate, per round
                          (0 = skip; --peers: quick 2, full 4)
  --paced-seconds <s>     measured seconds per target and round at the fixed rate (quick 2.5, full 5)
  --paced-connections <n> keep-alive pool of the paced generator, per target (64)
  --slice-ms <ms>         the paced schedule visits the targets in turn, this long each (250)
  --stream-rate <rps>     rate of streaming requests for time to first chunk (100)
  --stream-seconds <s>    seconds of streaming requests per target and round (quick 1.5, full 2.5)
  --stream-chunks <n>     SSE chunks per streamed answer (8)
  --stream-gap-ms <ms>    gap between SSE chunks, also before the first (5)
  --no-info-log           skip the vllm-router row at the default info log level
  --nginx-workers <n>     nginx worker_processes, a number or "auto" (1)
  --proxy-cli <path>      vllm-router CLI (proxy/dist/cli.js)
`;

function num(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${value}"`);
  return n;
}

/** Parses the command line; prints help and exits on --help. */
export function parseBenchArgs(argv: string[]): BenchConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      rounds: { type: 'string' },
      'wrk-seconds': { type: 'string' },
      'wrk-threads': { type: 'string' },
      'wrk-connections': { type: 'string' },
      rate: { type: 'string' },
      peers: { type: 'boolean', default: false },
      'idle-seconds': { type: 'string' },
      'alone-seconds': { type: 'string' },
      'paced-seconds': { type: 'string' },
      'paced-connections': { type: 'string' },
      'slice-ms': { type: 'string' },
      'stream-rate': { type: 'string' },
      'stream-seconds': { type: 'string' },
      'stream-chunks': { type: 'string' },
      'stream-gap-ms': { type: 'string' },
      'no-info-log': { type: 'boolean', default: false },
      'nginx-workers': { type: 'string' },
      'proxy-cli': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  const peers = values.peers ?? false;
  const rates = (values.rate ?? (peers ? '200,1000' : '1000')).split(',').map((r) => num(r.trim(), 1000, 'rate'));
  const seconds = (name: 'idle-seconds' | 'alone-seconds', withPeers: number) => {
    const v = values[name];
    if (v === undefined) return peers ? withPeers : 0;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number >= 0, got "${v}"`);
    return n;
  };
  const nginxWorkers = values['nginx-workers'] ?? '1';
  if (nginxWorkers !== 'auto' && !/^[1-9][0-9]*$/.test(nginxWorkers)) throw new Error('--nginx-workers must be a number or "auto"');
  return {
    quick,
    rounds: Math.round(num(values.rounds, quick ? 2 : 5, 'rounds')),
    warmupSeconds: quick ? 1 : 2,
    wrkSeconds: Math.max(1, Math.round(num(values['wrk-seconds'], quick ? 2 : 3, 'wrk-seconds'))),
    wrkThreads: Math.round(num(values['wrk-threads'], 2, 'wrk-threads')),
    wrkConnections: Math.round(num(values['wrk-connections'], 32, 'wrk-connections')),
    pacedRate: rates[rates.length - 1]!,
    rates,
    peers,
    idleSeconds: seconds('idle-seconds', quick ? 10 : 60),
    aloneSeconds: seconds('alone-seconds', quick ? 2 : 4),
    pacedSeconds: num(values['paced-seconds'], quick ? 2.5 : 5, 'paced-seconds'),
    pacedConnections: Math.round(num(values['paced-connections'], 64, 'paced-connections')),
    sliceMs: num(values['slice-ms'], 250, 'slice-ms'),
    streamRate: num(values['stream-rate'], 100, 'stream-rate'),
    streamSeconds: num(values['stream-seconds'], quick ? 1.5 : 2.5, 'stream-seconds'),
    streamChunks: Math.round(num(values['stream-chunks'], 8, 'stream-chunks')),
    streamChunkGapMs: num(values['stream-gap-ms'], 5, 'stream-gap-ms'),
    infoLogVariant: !(values['no-info-log'] ?? false),
    nginxWorkers,
    jsonPath: values.json,
    proxyCli: values['proxy-cli'] ?? fileURLToPath(new URL('../../../proxy/dist/cli.js', import.meta.url)),
  };
}
