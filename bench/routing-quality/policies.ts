import type { RoutingLogic } from '@vllm-router/common';
import type { SessionPlan } from './workload.js';

/** A routing setup under test: a router policy, plus what the client adds to each request. */
export interface PolicyUnderTest {
  name: string;
  routingLogic: RoutingLogic;
  sessionKey?: string;
  headersFor(session: SessionPlan): Record<string, string>;
  /** Pins (`?id=`) chosen by the client, for the oracle. */
  pinFor?(session: SessionPlan, engineIds: readonly string[]): string;
}

const none = () => ({});

export const POLICIES: Record<string, PolicyUnderTest> = {
  roundrobin: { name: 'roundrobin', routingLogic: 'roundrobin', headersFor: none },
  session: { name: 'session', routingLogic: 'session', sessionKey: 'x-session-id', headersFor: (s) => ({ 'x-session-id': s.id }) },
  leastload: { name: 'leastload', routingLogic: 'leastload', headersFor: none },
  prefixaware: { name: 'prefixaware', routingLogic: 'prefixaware', headersFor: none },
  kvaware: { name: 'kvaware', routingLogic: 'kvaware', headersFor: none },
  /**
   * The hit-rate yardstick: the client knows each session's document and pins the session (every turn)
   * to the engine that owns that document, documents dealt out evenly. Sticky per session and per
   * document: the best cache reuse a sticky assignment can get here, with no regard for load.
   */
  oracle: {
    name: 'oracle',
    routingLogic: 'roundrobin',
    headersFor: none,
    pinFor: (s, engineIds) => engineIds[s.document % engineIds.length]!,
  },
};
