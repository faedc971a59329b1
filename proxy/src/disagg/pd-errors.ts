import type { DisaggregatedLogic } from '@vllm-router/common/routing-table';
import { ProxyError } from '../http/errors.js';

/** The disaggregated flow's own failures, in the OpenAI error shape like every other. */
export const pdErrors = {
  noPrefillEngine: (model: string, logic: DisaggregatedLogic) =>
    new ProxyError(
      503,
      'no_prefill_engine',
      `No prefill engine is available for model "${model}" right now (routing logic ${logic} sends each request to an engine with the prefill role first).`,
      'service_unavailable_error',
      'model',
    ),
  noDecodeEngine: (model: string, logic: DisaggregatedLogic) =>
    new ProxyError(
      503,
      'no_decode_engine',
      `No decode engine is available for model "${model}" right now (routing logic ${logic} generates on an engine with the decode role).`,
      'service_unavailable_error',
      'model',
    ),
  prefillFailed: (detail: string, cause?: unknown) =>
    new ProxyError(502, 'prefill_failed', `The prefill leg failed: ${detail}.`, 'server_error', null, cause === undefined ? undefined : { cause }),
  decodeFailed: (detail: string, cause?: unknown) =>
    new ProxyError(502, 'decode_failed', `The decode leg failed: ${detail}.`, 'server_error', null, cause === undefined ? undefined : { cause }),
};
