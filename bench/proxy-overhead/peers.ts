import { execFileSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { tailOf, type Children } from './children.js';
import { freePort, waitForPort } from './net-util.js';
import { CHAT_BODY, CHAT_PATH } from './workload.js';

/** The routers a user would pick instead of ours, installed from PyPI by install-peers.sh. */
export type PeerKey = 'rust-vllm-router' | 'sglang-router';

export const PEER_LABELS: Record<PeerKey, string> = { 'rust-vllm-router': 'Rust vllm-router', 'sglang-router': 'sglang-router' };
export const PEER_NOTES: Record<PeerKey, string> = {
  'rust-vllm-router': 'PyPI vllm-router (Rust, vllm-project fork of SGLang router), --policy round_robin',
  'sglang-router': 'PyPI sglang-router (Rust), python -m sglang_router.launch_router --policy round_robin',
};

const INSTALL = fileURLToPath(new URL('../../proxy-overhead/install-peers.sh', import.meta.url));

/** Installs the peers into their cached venv (a no-op when cached); returns the venv's directory. */
export function ensurePeers(log: (line: string) => void): string {
  log('peers: ensuring the cached venv (bench/proxy-overhead/install-peers.sh)');
  const out = execFileSync('bash', [INSTALL], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 });
  const venv = out.trim().split('\n').pop() ?? '';
  if (!venv) throw new Error('install-peers.sh printed no venv directory');
  return venv;
}

async function answersChat(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${CHAT_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: CHAT_BODY, signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/**
 * Starts one peer in front of the upstream and waits until it routes a chat request (both health-
 * check their workers first: /health, and sglang also /model_info and /server_info, which the
 * fixed-answer upstream answers). Their Prometheus exporters get a free port each (both default to
 * 29000, so two of them would collide).
 */
export async function startPeer(children: Children, venv: string, key: PeerKey, upstreamPort: number): Promise<{ child: ChildProcess; port: number }> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const common = ['--worker-urls', `http://127.0.0.1:${upstreamPort}`, '--policy', 'round_robin', '--host', '127.0.0.1', '--port', String(port), '--prometheus-host', '127.0.0.1', '--prometheus-port', String(metricsPort)];
  const [command, args] =
    key === 'rust-vllm-router'
      ? [join(venv, 'bin', 'vllm-router'), [...common, '--log-level', 'warning']]
      : [join(venv, 'bin', 'python'), ['-m', 'sglang_router.launch_router', ...common, '--log-level', 'warn']];
  const child = children.spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = tailOf(child, 'stderr');
  const dead = () => child.exitCode !== null || child.signalCode !== null;
  try {
    await waitForPort(port, 60_000, dead);
    const deadline = Date.now() + 60_000;
    while (!(await answersChat(port))) {
      if (dead() || Date.now() > deadline) throw new Error('it never answered a chat request with 200');
      await sleep(200);
    }
  } catch (err) {
    throw new Error(`${PEER_LABELS[key]} did not start: ${err instanceof Error ? err.message : String(err)}\n${stderr()}`, { cause: err });
  }
  return { child, port };
}
