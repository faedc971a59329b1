import yargs, { type Options } from 'yargs';
import { VERSION } from '../version.js';
import { API_KEYS_ENV, BACKEND_API_KEY_ENV, mergeApiKeys, parseApiKeysList, readApiKeysFile } from './api-keys.js';
import { ConfigError, HelpRequested } from './errors.js';
import type { ProxyOptions } from './options.js';
import { REFUSED_FLAGS } from './refused-flags.js';
import { SETTINGS, SETTING_KEYS, defaultOf, kebabCase, parseSetting } from './settings.js';
import { requiredFromConfigFile } from './startup-config.js';
import { validateProxyOptions } from './validate-options.js';

const EXAMPLE = [
  'vllm-router --port 8000 --service-discovery static \\',
  '  --static-backends http://localhost:9001,http://localhost:9002 \\',
  '  --static-models facebook/opt-125m,meta-llama/Llama-3.1-8B-Instruct \\',
  '  --static-aliases gpt4:meta-llama/Llama-3.1-8B-Instruct --routing-logic roundrobin',
].join('\n');

function buildParser(argv: readonly string[]) {
  const options: Record<string, Options> = {};
  for (const key of SETTING_KEYS) {
    const s = SETTINGS[key];
    const shownDefault = showDefault(s.default);
    options[kebabCase(key)] = {
      group: `${s.group}:`,
      describe: s.required ? `${s.describe} Required.` : s.describe,
      // No yargs type for values and no yargs default: the raw string reaches our parsers (so
      // errors can quote it) and an absent flag stays distinguishable from its default.
      ...(s.flagType === 'boolean' ? { type: 'boolean' as const } : { requiresArg: true }),
      ...(shownDefault === undefined ? {} : { defaultDescription: shownDefault }),
    };
  }
  options['api-keys-file'] = { group: `${SETTINGS.apiKeys.group}:`, requiresArg: true, describe: 'File with client keys, one per line (# comments allowed); merged with the other sources.' };
  options['static-backend-health-check-timeout-seconds'].alias = 'backend-health-check-timeout-seconds';
  // Parsed only so that the refusal can name them; hidden from --help.
  for (const refused of REFUSED_FLAGS) options[refused.flag] = { hidden: true };

  return yargs()
    .scriptName('vllm-router')
    .usage('$0 [options]\n\nOpenAI-compatible router in front of vLLM and other inference engines.')
    .parserConfiguration({
      'camel-case-expansion': false,
      'duplicate-arguments-array': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
    })
    .options(options)
    .strict()
    .version('version', 'Print the version and exit.', `vllm-router ${VERSION}`)
    .help('help')
    .alias('help', 'h')
    .epilogue(`Example:\n${EXAMPLE}`)
    .wrap(Math.min(120, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message, err) => {
      throw new ConfigError(undefined, undefined, `${withDashes(message || err?.message || 'invalid arguments', argv)} (see --help)`, { cause: err });
    });
}

/**
 * Parse the command line and environment into validated options. Throws ConfigError for bad input
 * and HelpRequested for --help and --version. The dynamic config file is read here only for
 * required settings the command line lacks; the file as a whole is applied by applyDynamicConfig.
 */
export function parseProxyArgs(argv: string[], env: NodeJS.ProcessEnv): ProxyOptions {
  let helpText = '';
  const args = buildParser(argv).parseSync(argv, {}, (_err, _argv, output) => {
    helpText = output;
  }) as Record<string, unknown>;
  if (args.help === true) throw new HelpRequested(helpText);
  if (args.version === true) throw new HelpRequested(helpText || `vllm-router ${VERSION}`);
  for (const refused of REFUSED_FLAGS) if (args[refused.flag] !== undefined) throw new ConfigError(`--${refused.flag}`, undefined, `is not supported: ${refused.reason}`);

  const partial: Partial<ProxyOptions> = {};
  for (const key of SETTING_KEYS) {
    const raw = args[kebabCase(key)];
    assign(partial, key, raw === undefined ? defaultOf(key) : parseSetting(key, raw, `--${kebabCase(key)}`));
  }
  // As the reference: no --service-discovery with --external-providers-config means external-only,
  // and a dynamic config file may supply what the command line leaves out.
  if (partial.serviceDiscovery === undefined && partial.externalProvidersConfig !== undefined) partial.serviceDiscovery = 'external-only';
  const fromFile = requiredFromConfigFile(partial);
  if (fromFile) Object.assign(partial, fromFile.required);
  for (const key of SETTING_KEYS) {
    const { required, parse } = SETTINGS[key];
    const choices = 'choices' in parse && Array.isArray(parse.choices) ? ` (one of ${parse.choices.join(', ')})` : '';
    if (required && partial[key] === undefined) throw new ConfigError(`--${kebabCase(key)}`, undefined, `is required${choices}`);
  }
  const options = partial as ProxyOptions;

  const keyFile = args['api-keys-file'];
  options.apiKeys = mergeApiKeys(
    options.apiKeys,
    parseApiKeysList(env[API_KEYS_ENV]),
    keyFile === undefined ? [] : readApiKeysFile(String(keyFile)),
  );
  const envBackendKey = env[BACKEND_API_KEY_ENV]?.trim();
  if (options.backendApiKey === undefined && envBackendKey) options.backendApiKey = envBackendKey;

  // With required settings from the file, the rest of the file completes them (e.g. session_key).
  validateProxyOptions(fromFile ? { ...options, ...fromFile.settings } : options, 'flags');
  return options;
}

/** yargs lists unknown flags without their dashes; show them as they were typed. */
function withDashes(message: string, argv: readonly string[]): string {
  const m = /^(Unknown arguments?: )(.*)$/.exec(message);
  if (!m) return message;
  const typed = (name: string) => argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`) || a === `--no-${name}`)?.split('=')[0];
  return m[1] + m[2].split(', ').map((name) => typed(name) ?? name).join(', ');
}

/** Defaults as a user would type them; empty ones are left out of the help. */
function showDefault(value: unknown): string | undefined {
  if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) return undefined;
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object' && value !== null) return Object.keys(value).length ? JSON.stringify(value) : undefined;
  if (typeof value === 'number' && value >= 1024 * 1024 && value % (1024 * 1024) === 0) return `${value} (${value / 1024 / 1024} MiB)`;
  return String(value);
}

function assign<K extends keyof ProxyOptions>(target: Partial<ProxyOptions>, key: K, value: ProxyOptions[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}
