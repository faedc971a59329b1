import type { Span } from '@opentelemetry/api';
import type { Logger } from '@vllm-router/common';
import type { RequestSpan, RequestTelemetry } from './request-span.js';

export interface OtelSettings {
  /** host:port (the reference's form) or a URL; gRPC OTLP, as the reference exports. */
  endpoint: string;
  serviceName: string;
  /** TLS; the reference defaults to insecure. */
  secure: boolean;
  version: string;
}

/** `localhost:4317` -> `http://localhost:4317` (insecure) or `https://...` with --otel-secure. */
export function otlpUrl(endpoint: string, secure: boolean): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `${secure ? 'https' : 'http'}://${endpoint}`;
}

/**
 * Distributed tracing with the OpenTelemetry JS SDK, exported over OTLP/gRPC. Per routed request:
 * a SERVER span `router <path>` continuing the client's W3C traceparent, an INTERNAL span
 * `routing decision` (model, engine, logic, prefix match) per engine chosen, and a CLIENT span
 * `process_request` per engine call, whose context goes to the engine as `traceparent`. The SDK is
 * loaded only when --otel-endpoint is set. The provider is private (not registered globally), so it
 * neither depends on nor disturbs other OpenTelemetry users in the process (Sentry's SDK among them).
 */
export async function createOtelTracing(settings: OtelSettings, logger: Logger): Promise<RequestTelemetry> {
  const [api, sdk, grpc, resources, core] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/exporter-trace-otlp-grpc'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/core'),
  ]);
  const { SpanKind, SpanStatusCode, ROOT_CONTEXT, trace, defaultTextMapGetter, defaultTextMapSetter } = api;
  const url = otlpUrl(settings.endpoint, settings.secure);
  const exporter = new grpc.OTLPTraceExporter({ url });
  const provider = new sdk.TracerProvider({
    resource: resources.resourceFromAttributes({ 'service.name': settings.serviceName, 'service.version': settings.version }),
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter, scheduledDelayMillis: 1000 })],
  });
  const tracer = provider.getTracer('vllm-router', settings.version);
  const propagator = new core.W3CTraceContextPropagator();
  logger.info('OpenTelemetry tracing enabled', { endpoint: url, service: settings.serviceName });

  const failed = (span: Span, error: unknown) => {
    const err = error instanceof Error ? error : new Error(String(error));
    span.recordException(err);
    span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
  };

  return {
    startRequest: ({ method, path, headers, requestId, model }): RequestSpan => {
      const parent = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
      const span = tracer.startSpan(
        `router ${path}`,
        { kind: SpanKind.SERVER, attributes: { 'http.method': method, 'http.target': path, 'vllm.request_id': requestId, 'vllm.model': model } },
        parent,
      );
      const context = trace.setSpan(parent, span);
      return {
        routed: ({ model: routedModel, engine, logic, detail }) => {
          span.setAttribute('vllm.backend_url', engine.url);
          span.setAttribute('vllm.routing_logic', logic);
          const attributes: Record<string, string | number> = { 'vllm.model': routedModel, 'vllm.backend_url': engine.url, 'vllm.engine_id': engine.id, 'vllm.routing_logic': logic };
          for (const [key, value] of Object.entries(detail ?? {})) attributes[`vllm.${key}`] = value;
          tracer.startSpan('routing decision', { kind: SpanKind.INTERNAL, attributes }, context).end();
        },
        engineCall: (engine, callMethod, callPath) => {
          const call = tracer.startSpan(
            'process_request',
            { kind: SpanKind.CLIENT, attributes: { 'http.method': callMethod, 'http.url': engine.url + callPath, 'vllm.backend_url': engine.url, 'vllm.request_id': requestId } },
            context,
          );
          const carrier: Record<string, string> = {};
          propagator.inject(trace.setSpan(context, call), carrier, defaultTextMapSetter);
          let ended = false;
          return {
            headers: carrier,
            responded: (status) => {
              call.setAttribute('http.status_code', status);
              if (status >= 500) call.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
            },
            end: (error) => {
              if (ended) return;
              ended = true;
              if (error !== undefined) failed(call, error);
              call.end();
            },
          };
        },
        end: (status, error) => {
          span.setAttribute('http.status_code', status);
          if (error !== undefined) failed(span, error);
          else if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
          span.end();
        },
      };
    },
    shutdown: async (timeoutMs) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        provider.shutdown().catch((err: unknown) => logger.warn('OpenTelemetry shutdown failed', { error: String(err) })),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
    },
  };
}
