/**
 * The reference router's command lines as its CI and docs start it (written from
 * .github/workflows/router-e2e-test.yml and tests/e2e/run-static-discovery-routing-test.sh,
 * src/vllm_router/perf-test.sh and run-router.sh, the router README, and the Helm chart's
 * deployment-router.yaml). `port` is what the test binds (0: any free port).
 */
export const MODEL = 'facebook/opt-125m';
export const SESSION_KEY = 'x-user-id';

/** The static-discovery e2e job's router, once per routing logic; `pdLabels` adds the prefill/decode label flags it passes too. */
export function staticE2eLine(port: number, backends: readonly string[], routingLogic: string, pdLabels: boolean): string[] {
  return [
    '--port', String(port),
    '--service-discovery', 'static',
    '--static-backends', `${backends[0]},${backends[1]}`,
    '--static-models', `${MODEL},${MODEL}`,
    '--static-model-types', 'chat,chat',
    '--log-stats',
    '--log-stats-interval', '10',
    '--engine-stats-interval', '10',
    '--request-stats-window', '10',
    ...(pdLabels ? ['--prefill-model-labels', 'prefill', '--decode-model-labels', 'decode'] : []),
    '--static-model-labels', 'prefill,decode',
    '--session-key', SESSION_KEY,
    '--routing-logic', routingLogic,
  ];
}

/** perf-test.sh: four fake OpenAI servers behind session routing. */
export function perfTestLine(port: number, backends: readonly string[]): string[] {
  return [
    '--port', String(port),
    '--service-discovery', 'static',
    '--static-backends', backends.join(','),
    '--static-models', backends.map(() => 'fake_model_name').join(','),
    '--engine-stats-interval', '10',
    '--log-stats',
    '--routing-logic', 'session',
    '--session-key', 'x-user-id',
  ];
}

/** run-router.sh, which passes --request-stats-window twice. */
export function runRouterLine(port: number, backend: string): string[] {
  return [
    '--port', String(port),
    '--service-discovery', 'static',
    '--static-backends', backend,
    '--static-models', MODEL,
    '--static-model-types', 'chat',
    '--log-stats',
    '--log-stats-interval', '10',
    '--engine-stats-interval', '10',
    '--request-stats-window', '10',
    '--request-stats-window', '10',
    '--routing-logic', 'roundrobin',
  ];
}

/** The router README's first example: aliases, model types and static health checks. */
export function readmeLine(port: number, backends: readonly string[]): string[] {
  return [
    '--port', String(port),
    '--service-discovery', 'static',
    '--static-backends', backends.join(','),
    '--static-models', `${MODEL},meta-llama/Llama-3.1-8B-Instruct,${MODEL}`,
    '--static-aliases', 'gpt4:meta-llama/Llama-3.1-8B-Instruct',
    '--static-model-types', 'chat,chat,chat',
    '--static-backend-health-checks',
    '--engine-stats-interval', '10',
    '--log-stats',
    '--routing-logic', 'roundrobin',
  ];
}

/** The Helm chart's router arguments with its defaults (k8s discovery of the release's engine pods). */
export function helmChartLine(namespace: string, labelSelector: string): string[] {
  return [
    '--host', '0.0.0.0',
    '--port', '8000',
    '--service-discovery', 'k8s',
    '--k8s-namespace', namespace,
    '--k8s-service-discovery-type', 'pod-ip',
    '--k8s-label-selector', labelSelector,
    '--routing-logic', 'roundrobin',
  ];
}

/** The nested YAML form of the dynamic config (static_models and static_aliases as mappings). */
export const NESTED_YAML = (backends: readonly string[]) =>
  [
    'service_discovery: static',
    'routing_logic: roundrobin',
    'static_models:',
    `  ${MODEL}:`,
    '    static_backends:',
    ...backends.map((b) => `      - ${b}`),
    '    static_model_type: chat',
    'static_aliases:',
    `  opt: ${MODEL}`,
    '',
  ].join('\n');

/**
 * The routing line as the e2e test (tests/e2e/test-routing.py) reads it: lines matching
 * `Routing request.*to.*at.*process time` (not /health), then these groups.
 */
export const ROUTING_LINE = /Routing request.*to.*at.*process time/;
export const REQUEST_AND_ENDPOINT = /Routing request ([^ ]*) with session id [^ ]* to ([^ ]*) at /;
export const SESSION_AND_ENDPOINT = /Routing request [^ ]* with session id ([^ ]*) to ([^ ]*) at /;

export function routingLines(log: string): string[] {
  return log.split('\n').filter((l) => ROUTING_LINE.test(l) && !l.includes('/health'));
}
