/** The proxy as a library: embed it, or build tests and tools on it. */
export { RouterApp, type RouterAppSettings, type RouterAppDeps } from './app/router-app.js';
export { CoreDispatcher } from './app/internal-dispatcher.js';
export type { EngineFailure, EngineFailureListener } from './routing/routing-core.js';
export type { HealthReport } from './app/health-report.js';
export { createLogger, silentLogger, type Logger } from '@vllm-router/common';
export { ProxyMetrics } from './metrics/proxy-metrics.js';
export { HashRing } from './routing/policies/hash-ring.js';
export { MODEL_ENDPOINTS, BACKEND_CAPABILITIES } from './routing/endpoints.js';
export { ProxyError, errors } from './http/errors.js';
export type { Route, RouteHandler, RequestContext, InternalDispatcher, InternalRequest, InternalResponse } from './http/route.js';
export type { ProxyOptions } from './config/options.js';
export { VERSION } from './version.js';
// The routing-table contract, for embedders that build tables themselves.
export * from '@vllm-router/common/routing-table';
// --callbacks / --request-rewriter modules, for hooks written in TypeScript.
export type { RequestHooks, PreRequestContext, RewriteContext, PostRequestContext, HookResponse } from './hooks/request-hooks.js';
