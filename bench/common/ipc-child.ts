import { fork, type ChildProcess } from 'node:child_process';
import { nextTaggedMessage, type TaggedMessage } from './child-message.js';

/**
 * A bench child program spoken to over IPC: forked with one JSON argument, ready when it sends its
 * `ready` message, asked for things by sending `{type}` and reading the reply of the same type,
 * and stopped by disconnecting (the child exits on disconnect).
 */
export class IpcChild<M extends TaggedMessage> {
  private constructor(
    private readonly child: ChildProcess,
    private readonly label: string,
  ) {}

  static async start<M extends TaggedMessage>(path: string, config: unknown, label: string, timeoutMs = 15_000): Promise<{ child: IpcChild<M>; ready: Extract<M, { type: 'ready' }> }> {
    const child = fork(path, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = await nextTaggedMessage<M, 'ready'>(child, 'ready', timeoutMs, label);
    return { child: new IpcChild<M>(child, label), ready };
  }

  async ask<T extends M['type']>(type: T, timeoutMs = 10_000): Promise<Extract<M, { type: T }>> {
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
