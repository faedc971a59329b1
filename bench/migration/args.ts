import { parseArgs } from 'node:util';

export interface MigrationBenchConfig {
  /** Engine simulators, all serving the one model. */
  engines: number;
  /** Client streams open at once (closed loop: each starts the next when it ends). */
  concurrency: number;
  /** Load per mode. */
  seconds: number;
  /** An engine is killed about this often (seeded jitter of ±50 %)... */
  killEveryMs: number;
  /** ...and comes back on the same address after this long. */
  downMs: number;
  tokenDelayMs: number;
  prefillMsPerToken: number;
  /** Tokens per answer (the sims' length; max_tokens is not set). */
  outputTokens: number;
  seed: number;
  /** The whole run is stopped (and every child killed) past this. */
  budgetSeconds: number;
  jsonPath: string | undefined;
}

const HELP = `Usage: node bench/dist/migration/run.js [options]

Streamed chat completions through vllm-router to engine simulators while engines are killed at random
(every connection of the engine reset, the engine back on the same address a moment later). The same
seeded kill schedule runs with --request-migration-attempts 1 and 0: the share of client streams that
complete (with the exact uninterrupted text), and the added gap at the migration point.
Build first: npx tsc -b tsconfig.json.

  --engines N              engine simulators (4)
  --concurrency N          client streams open at once (16)
  --seconds S              load per mode (20)
  --kill-every-ms MS       mean time between engine kills (1500)
  --down-ms MS             how long a killed engine stays down (1000)
  --token-delay-ms MS      sim time per output token (20)
  --prefill-ms-per-token MS sim prefill time per uncached prompt token (0.2)
  --output-tokens N        tokens per answer (64)
  --seed N                 kill schedule seed (1)
  --budget-seconds S       stop everything after this (300)
  --json PATH              write every figure as JSON
`;

export function parseBenchArgs(argv: string[]): MigrationBenchConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      engines: { type: 'string', default: '4' },
      concurrency: { type: 'string', default: '16' },
      seconds: { type: 'string', default: '20' },
      'kill-every-ms': { type: 'string', default: '1500' },
      'down-ms': { type: 'string', default: '1000' },
      'token-delay-ms': { type: 'string', default: '20' },
      'prefill-ms-per-token': { type: 'string', default: '0.2' },
      'output-tokens': { type: 'string', default: '64' },
      seed: { type: 'string', default: '1' },
      'budget-seconds': { type: 'string', default: '300' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const num = (name: keyof typeof values, min: number): number => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min}`);
    return n;
  };
  const config: MigrationBenchConfig = {
    engines: num('engines', 2),
    concurrency: num('concurrency', 1),
    seconds: num('seconds', 1),
    killEveryMs: num('kill-every-ms', 50),
    downMs: num('down-ms', 0),
    tokenDelayMs: num('token-delay-ms', 1),
    prefillMsPerToken: num('prefill-ms-per-token', 0),
    outputTokens: num('output-tokens', 2),
    seed: num('seed', 0),
    budgetSeconds: num('budget-seconds', 10),
    jsonPath: values.json,
  };
  if (config.engines > 40) throw new Error('--engines must be at most 40 (one loopback address each)');
  return config;
}
