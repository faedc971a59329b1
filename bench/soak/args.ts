import { parseArgs } from 'node:util';

export interface SoakConfig {
  minutes: number;
  /** Requests started per second (open loop). */
  rate: number;
  /** Seconds between the memory lines (60 = once a minute). */
  intervalSeconds: number;
  /** Minutes at the start left out of the growth figure (JIT, pools, caches filling). */
  warmupMinutes: number;
  /** Requests allowed in flight at once; a request due beyond it is counted as dropped. */
  maxInFlight: number;
  seed: number;
  jsonPath: string | undefined;
}

const HELP = `Usage: node bench/dist/soak/run.js [options]

Mixed traffic through the vllm-router program at a fixed rate for a long time (streams, streams the
client aborts, plain chats, unknown models, bad JSON, file uploads and deletes, model lists), printing
the router's RSS and heap every interval. Target: no growth after warm-up, 0 unexpected answers.
Build first: npx tsc -b tsconfig.json.

  --minutes N           length of the run (30)
  --rate N              requests started per second (40)
  --interval-seconds N  seconds between memory lines (60)
  --warmup-minutes N    minutes left out of the growth figure (3)
  --max-in-flight N     in-flight cap of the load generator (400)
  --seed N              traffic mix seed (1)
  --json FILE           write the per-interval samples and totals as JSON
`;

export function parseSoakArgs(argv: string[]): SoakConfig | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: 'string' },
      rate: { type: 'string' },
      'interval-seconds': { type: 'string' },
      'warmup-minutes': { type: 'string' },
      'max-in-flight': { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const num = (raw: string | undefined, fallback: number, name: string) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${raw}`);
    return n;
  };
  return {
    minutes: num(values.minutes, 30, 'minutes'),
    rate: num(values.rate, 40, 'rate'),
    intervalSeconds: num(values['interval-seconds'], 60, 'interval-seconds'),
    warmupMinutes: values['warmup-minutes'] === '0' ? 0 : num(values['warmup-minutes'], 3, 'warmup-minutes'),
    maxInFlight: num(values['max-in-flight'], 400, 'max-in-flight'),
    seed: num(values.seed, 1, 'seed'),
    jsonPath: values.json,
  };
}

export { HELP };
