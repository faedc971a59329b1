import { fork, type ChildProcess } from 'node:child_process';
import { nextTaggedMessage, type TaggedMessage } from './child-message.js';
import type { Children } from './processes.js';

/**
 * A bench child program (engine simulators, mostly) talking over IPC: started with its config as
 * one JSON argument, ready once it sends {type:'ready'}, asked for {type: X} replies, stopped by
 * disconnecting (the child exits when its parent goes away).
 */
export class ChildProgram<M extends TaggedMessage> {
  private constructor(
    private readonly child: ChildProcess,
    private readonly label: string,
  ) {}

  /** Forks `path` with `config`, resolves with it and its ready message. */
  static async start<M extends TaggedMessage>(path: string, config: unknown, label: string, children?: Children): Promise<{ program: ChildProgram<M>; ready: Extract<M, { type: 'ready' }> }> {
    const child = fork(path, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children?.track(child);
    const ready = await nextTaggedMessage<M, 'ready'>(child, 'ready' as M['type'] & 'ready', 20_000, label);
    return { program: new ChildProgram<M>(child, label), ready };
  }

  /** Sends {type} and resolves with the child's next message of that type. */
  ask<T extends M['type']>(type: T, timeoutMs = 10_000): Promise<Extract<M, { type: T }>> {
    const reply = nextTaggedMessage<M, T>(this.child, type, timeoutMs, this.label);
    this.child.send({ type });
    return reply;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    await exited;
  }
}
