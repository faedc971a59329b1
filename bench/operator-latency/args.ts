import { parseArgs } from 'node:util';

export interface LatencyBenchConfig {
  /** Ready/unready toggles measured (bounded: each waits at most `trialTimeoutMs`). */
  trials: number;
  pods: number;
  enginePort: number;
  trialTimeoutMs: number;
  jsonPath: string | undefined;
}

const HELP = `usage: node bench/dist/operator-latency/run.js [--trials <n>] [--pods <n>] [--json <path>]

Measures, on the local control plane (test/cluster/up.sh), how long after an engine pod turns
Ready the first request is routed to it through vllm-router-operator and vllm-router in
ConfigMap mode (and how long after it turns unready requests stop reaching it). Each pod's
simulator serves a model of its own, so the first 200 for that model is the first request
routed to the pod.

  --trials <n>        ready/unready toggles measured (20)
  --pods <n>          engine pods toggled in turn (3)
  --engine-port <p>   port of the simulated engines on the pod IPs (18100)
  --timeout-ms <ms>   give up on a trial after this long (10000)
  --json <path>       also write the results as JSON
`;

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

export function parseLatencyArgs(argv: string[]): LatencyBenchConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      trials: { type: 'string' },
      pods: { type: 'string' },
      'engine-port': { type: 'string' },
      'timeout-ms': { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  return {
    trials: Math.min(positiveInt(values.trials, 20, 'trials'), 1000),
    pods: Math.min(positiveInt(values.pods, 3, 'pods'), 50),
    enginePort: positiveInt(values['engine-port'], 18100, 'engine-port'),
    trialTimeoutMs: positiveInt(values['timeout-ms'], 10_000, 'timeout-ms'),
    jsonPath: values.json,
  };
}
