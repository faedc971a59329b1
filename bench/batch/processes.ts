import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nextTaggedMessage } from '../common/child-message.js';
import type { Children } from '../common/processes.js';
import type { SimsConfig, SimsMessage } from './sims-types.js';

export { Children, startRouter } from '../common/processes.js';

const SIMS_CHILD = fileURLToPath(new URL('./sims-child.js', import.meta.url));

export interface Sims {
  urls: string[];
  stats(): Promise<Extract<SimsMessage, { type: 'stats' }>>;
}

export async function startSims(children: Children, config: SimsConfig): Promise<Sims> {
  const child = children.track(fork(SIMS_CHILD, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const ready = await nextMessage(child, 'ready', 20_000);
  return {
    urls: ready.urls,
    stats: () => {
      const reply = nextMessage(child, 'stats', 10_000);
      child.send({ type: 'stats' });
      return reply;
    },
  };
}

function nextMessage<T extends SimsMessage['type']>(child: ChildProcess, type: T, timeoutMs: number): Promise<Extract<SimsMessage, { type: T }>> {
  return nextTaggedMessage<SimsMessage, T>(child, type, timeoutMs, 'simulators');
}
