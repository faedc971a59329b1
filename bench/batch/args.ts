import { parseArgs } from 'node:util';

export interface BatchBenchConfig {
  /** Lines in the batch. */
  lines: number;
  /** Engine simulators, all serving the one model. */
  sims: number;
  /** Sim decode time per output token after the first. */
  tokenDelayMs: number;
  /** max_tokens of each batch line (the sims answer exactly that many tokens). */
  lineTokens: number;
  /** Sim slots per engine (--max-num-seqs); requests beyond it queue FIFO in the sim. */
  maxNumSeqs: number;
  /** vllm-router --batch-concurrency. */
  batchConcurrency: number;
  /** Interactive requests per second (open loop), and the max_tokens of each. */
  rps: number;
  interactiveTokens: number;
  /** Length of the no-batch interactive measurement. */
  baselineSeconds: number;
  warmupSeconds: number;
  /** The whole run is stopped (and every child killed) past this. */
  budgetSeconds: number;
  jsonPath: string | undefined;
}

const HELP = `Usage: node bench/dist/batch/run.js [options]

A batch of --lines chat lines through vllm-router (--enable-batch-api) to --sims engine simulators,
with a steady interactive load through the same router; compares the interactive latency with and
without the batch running. Build first: npx tsc -b tsconfig.json.

  --lines N               batch lines (10000)
  --sims N                engine simulators (4)
  --token-delay-ms MS     sim time per output token (10)
  --line-tokens N         max_tokens per batch line (8)
  --max-num-seqs N        sim slots per engine (16)
  --batch-concurrency N   vllm-router --batch-concurrency (32)
  --rps N                 interactive requests per second (20)
  --interactive-tokens N  max_tokens per interactive request (8)
  --baseline-seconds S    interactive load with no batch (15)
  --warmup-seconds S      unmeasured load first (3)
  --budget-seconds S      stop everything after this (300)
  --json PATH             write every figure as JSON
`;

export function parseBenchArgs(argv: string[]): BatchBenchConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      lines: { type: 'string', default: '10000' },
      sims: { type: 'string', default: '4' },
      'token-delay-ms': { type: 'string', default: '10' },
      'line-tokens': { type: 'string', default: '8' },
      'max-num-seqs': { type: 'string', default: '16' },
      'batch-concurrency': { type: 'string', default: '32' },
      rps: { type: 'string', default: '20' },
      'interactive-tokens': { type: 'string', default: '8' },
      'baseline-seconds': { type: 'string', default: '15' },
      'warmup-seconds': { type: 'string', default: '3' },
      'budget-seconds': { type: 'string', default: '300' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const num = (name: string, raw: string, min: number): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min}, got "${raw}"`);
    return n;
  };
  const config: BatchBenchConfig = {
    lines: num('lines', values.lines, 1),
    sims: num('sims', values.sims, 1),
    tokenDelayMs: num('token-delay-ms', values['token-delay-ms'], 0),
    lineTokens: num('line-tokens', values['line-tokens'], 1),
    maxNumSeqs: num('max-num-seqs', values['max-num-seqs'], 1),
    batchConcurrency: num('batch-concurrency', values['batch-concurrency'], 1),
    rps: num('rps', values.rps, 0.1),
    interactiveTokens: num('interactive-tokens', values['interactive-tokens'], 1),
    baselineSeconds: num('baseline-seconds', values['baseline-seconds'], 1),
    warmupSeconds: num('warmup-seconds', values['warmup-seconds'], 0),
    budgetSeconds: num('budget-seconds', values['budget-seconds'], 10),
    jsonPath: values.json,
  };
  if (config.sims > 200) throw new Error('--sims must be <= 200 (one loopback address each)');
  return config;
}
