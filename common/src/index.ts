/**
 * What the proxy (data plane) and the operator (control plane) share, so neither imports the other's
 * internals: the routing-table contract (also at `@vllm-router/common/routing-table`), the Kubernetes
 * client and its informer machinery, engine model discovery, and the logger.
 */
export * from './routing-table/index.js';
export { createLogger, infoLineWriter, silentLogger, type Logger, type LogFormat, type LogLevel } from './logging/logger.js';
export { KubeClient, PATCH, type KubeRequest, type KubeQuery, type KubeMethod } from './kube/kube-client.js';
export { KubeApiError, isKubeError, type KubeErrorCode } from './kube/kube-errors.js';
export { Informer, type InformerHandlers, type InformerOptions, type ListWatcher, type ListResult, type WatchEvent } from './kube/informer.js';
export { kubeListWatcher, type ListWatchTarget } from './kube/kube-list-watch.js';
export { Backoff, realSleep, type BackoffOptions, type Sleep } from './kube/backoff.js';
export { podReadiness, engineUrl, type PodReadiness, type PodNotReadyReason } from './kube/pod-readiness.js';
export { fetchEngineModels, EngineModelsError, type FetchModelsOptions } from './kube/engine-models.js';
export { EngineModelCache, type EngineRef, type ModelLookup, type ModelLookups } from './kube/engine-model-cache.js';
export { dictionary, dictionaryOf, ownValue } from './util/dictionary.js';
