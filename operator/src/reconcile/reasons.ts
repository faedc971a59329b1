/** Condition types and reasons (the one place they are spelled; status, events and tests use these). */
export const CONDITION = {
  ready: 'Ready',
  enginesAvailable: 'EnginesAvailable',
  proxyAvailable: 'ProxyAvailable',
  configValid: 'ConfigValid',
} as const;

export const REASON = {
  // ConfigValid
  tableValid: 'RoutingTableValid',
  invalidTable: 'InvalidRoutingTable',
  // EnginesAvailable
  enginesReady: 'EnginesReady',
  noReadyEngines: 'NoReadyEngines',
  noEngines: 'NoEnginesSelected',
  noPrefillEngines: 'NoReadyPrefillEngines',
  noDecodeEngines: 'NoReadyDecodeEngines',
  // ProxyAvailable
  proxyReady: 'ProxyReady',
  proxyPending: 'ProxyPending',
  proxyUnavailable: 'ProxyUnavailable',
  proxyScaledToZero: 'ProxyScaledToZero',
  // Ready
  ready: 'Ready',
  reconciling: 'Reconciling',
  reconcileFailed: 'ReconcileFailed',
} as const;

/** Event reasons. */
export const EVENT = {
  engineAdded: 'EngineAdded',
  engineRemoved: 'EngineRemoved',
  routingUpdated: 'RoutingTableUpdated',
  configInvalid: 'ConfigInvalid',
  reconcileFailed: 'ReconcileFailed',
} as const;

/** Why an engine is not ready, beyond the pod's own reasons (see podReadiness). */
export const ENGINE_REASON = {
  modelDiscoveryFailed: 'ModelDiscoveryFailed',
  noModels: 'NoModels',
  modelsPending: 'ModelsPending',
} as const;
