import { describe, expect, it } from '@jest/globals';
import { parseSimArgs } from './cli-args.js';

describe('vllm-engine-sim command line', () => {
  it('has defaults that start a plain vLLM-like engine on port 8000', () => {
    expect(parseSimArgs([])).toMatchObject({
      models: ['sim-model'],
      host: '127.0.0.1',
      port: 8000,
      engineId: undefined,
      outputTokensRange: undefined,
      resetMidStream: null,
      metricsFlavor: 'vllm',
      maxNumSeqs: 256,
      blockSize: 16,
      numGpuBlocks: 2048,
    });
  });

  it('maps every flag onto the library options', () => {
    const options = parseSimArgs([
      '--model', 'a,b', '--model', 'c',
      '--host', '127.0.0.3', '--port', '0', '--engine-id', 'e1',
      '--token-delay-ms', '5', '--output-tokens', '7', '--output-tokens-min', '2', '--output-tokens-max', '9',
      '--error-rate', '0.25', '--hang', '--reset-before-response', '--reset-mid-stream', '3',
      '--max-num-seqs', '4', '--block-size', '32', '--num-gpu-blocks', '64', '--prefill-ms-per-token', '0.5',
      '--metrics-flavor', 'sglang', '--seed', '42', '--scheduling-policy', 'priority',
      '--die-after-chunks', '5', '--death-mode', 'stall', '--continue-completions',
    ]);
    expect(options).toEqual({
      models: ['a', 'b', 'c'],
      host: '127.0.0.3',
      port: 0,
      engineId: 'e1',
      tokenDelayMs: 5,
      outputTokens: 7,
      outputTokensRange: [2, 9],
      errorRate: 0.25,
      hang: true,
      resetBeforeResponse: true,
      resetMidStream: 3,
      dieAfterChunks: 5,
      deathMode: 'stall',
      continueCompletions: true,
      maxNumSeqs: 4,
      schedulingPolicy: 'priority',
      blockSize: 32,
      numGpuBlocks: 64,
      prefillMsPerToken: 0.5,
      metricsFlavor: 'sglang',
      seed: 42,
    });
  });

  it('rejects unknown flags, unknown flavors and half a range', () => {
    expect(() => parseSimArgs(['--no-such-flag'])).toThrow();
    expect(() => parseSimArgs(['--metrics-flavor', 'tgi'])).toThrow();
    expect(() => parseSimArgs(['--output-tokens-min', '2'])).toThrow(/go together/);
    expect(() => parseSimArgs(['--death-mode', 'explode'])).toThrow();
  });
});
