import type { Logger } from '@vllm-router/common';
import type { RequestSpan, RequestTelemetry } from './request-span.js';

export interface SentrySettings {
  dsn: string;
  /** --sentry-traces-sample-rate: share of requests sent as transactions. */
  tracesSampleRate: number;
  /** --sentry-profile-session-sample-rate: passed on; profiles need @sentry/profiling-node, not bundled. */
  profileSessionSampleRate: number;
  release: string;
}

/**
 * The SDK's default integrations kept: error capture and context. Its automatic instrumentation
 * (http, fetch/undici, frameworks, databases) is left out: the router creates its own spans, and
 * instrumenting the proxy's upstream calls would add work to every request.
 */
const KEPT_INTEGRATIONS = new Set([
  'EventFilters',
  'FunctionToString',
  'LinkedErrors',
  'Dedupe',
  'NodeSystemError',
  'OnUncaughtException',
  'OnUnhandledRejection',
  'ContextLines',
  'Context',
  'Modules',
]);

/** Span status codes of the Sentry SDK (1 ok, 2 error). */
const SPAN_OK = 1;
const SPAN_ERROR = 2;

/**
 * Error reporting and sampled request traces with the official Sentry Node SDK, as the reference
 * router sets it up (same DSN flag and sample rates). Router failures (5xx it answers itself) are
 * sent as events; each sampled request is a transaction with a child span per engine call. Loaded
 * only when --sentry-dsn is set. Request bodies and headers are not sent.
 */
export async function createSentryReporting(settings: SentrySettings, logger: Logger): Promise<RequestTelemetry> {
  const Sentry = await import('@sentry/node');
  Sentry.init({
    dsn: settings.dsn,
    release: `vllm-router@${settings.release}`,
    tracesSampleRate: settings.tracesSampleRate,
    profileSessionSampleRate: settings.profileSessionSampleRate,
    profileLifecycle: 'trace',
    integrations: (defaults) => defaults.filter((i) => KEPT_INTEGRATIONS.has(i.name)),
  });
  logger.info('Sentry error reporting enabled', { traces_sample_rate: settings.tracesSampleRate });

  return {
    startRequest: ({ method, path, requestId, model }): RequestSpan => {
      const transaction = Sentry.startInactiveSpan({
        name: `${method} ${path}`,
        op: 'http.server',
        forceTransaction: true,
        attributes: { 'vllm.request_id': requestId, 'vllm.model': model },
      });
      return {
        routed: ({ engine, logic }) => {
          transaction.setAttribute('vllm.backend_url', engine.url);
          transaction.setAttribute('vllm.routing_logic', logic);
        },
        engineCall: (engine, callMethod, callPath) => {
          const call = Sentry.startInactiveSpan({ name: `${callMethod} ${engine.url}${callPath}`, op: 'http.client', parentSpan: transaction });
          let ended = false;
          return {
            headers: {},
            responded: (status) => {
              call.setAttribute('http.response.status_code', status);
              call.setStatus({ code: status >= 500 ? SPAN_ERROR : SPAN_OK });
            },
            end: (error) => {
              if (ended) return;
              ended = true;
              if (error !== undefined) call.setStatus({ code: SPAN_ERROR, message: error instanceof Error ? error.message : String(error) });
              call.end();
            },
          };
        },
        end: (status, error) => {
          transaction.setAttribute('http.response.status_code', status);
          transaction.setStatus({ code: status >= 500 ? SPAN_ERROR : SPAN_OK });
          if (error !== undefined && status >= 500) Sentry.captureException(error, { tags: { request_id: requestId, model, path, status: String(status) } });
          transaction.end();
        },
      };
    },
    shutdown: async (timeoutMs) => {
      await Sentry.close(timeoutMs).catch(() => false);
    },
  };
}
