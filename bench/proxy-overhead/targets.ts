import { join } from 'node:path';
import type { BenchConfig } from './args.js';
import type { Children } from './children.js';
import { startNginx } from './nginx.js';
import { startBareProxy, startExpressProxy, startTcpPipe, startUpstream } from './own-programs.js';
import { startRouter } from './vllm-router.js';
import { MODEL } from './workload.js';
import { PEER_LABELS, PEER_NOTES, ensurePeers, startPeer, type PeerKey } from './peers.js';

export type TargetKey = 'direct' | 'vllm-router' | 'vllm-router-info' | 'bare-node' | 'express' | 'tcp-pipe' | 'nginx' | PeerKey;

export interface Target {
  key: TargetKey;
  label: string;
  port: number;
  pid: number | undefined;
  note: string;
}

/** Starts the upstream and every proxy in front of it, each in its own process. */
export async function startTargets(children: Children, config: BenchConfig, tmp: string, log: (line: string) => void): Promise<Target[]> {
  const upstream = await startUpstream(children, config.streamChunks, config.streamChunkGapMs);
  const bare = await startBareProxy(children, upstream.port);
  const router = await startRouter(children, { cli: config.proxyCli, upstreamPort: upstream.port, logLevel: 'warn', logFile: join(tmp, 'router-warn.log') });
  const info = config.infoLogVariant
    ? await startRouter(children, { cli: config.proxyCli, upstreamPort: upstream.port, logLevel: 'info', logFile: join(tmp, 'router-info.log') })
    : undefined;
  const expressProxy = await startExpressProxy(children, upstream.port, MODEL);
  const tcpPipe = await startTcpPipe(children, upstream.port);
  const nginx = await startNginx(children, join(tmp, 'nginx'), upstream.port, config.nginxWorkers);
  const targets: Target[] = [
    { key: 'direct', label: 'direct', port: upstream.port, pid: upstream.child.pid, note: 'fixed-answer node:http upstream, no proxy' },
    { key: 'vllm-router', label: 'vllm-router', port: router.port, pid: router.child.pid, note: 'proxy/dist/cli.js, static discovery, --log-level warn' },
  ];
  if (info)
    targets.push({ key: 'vllm-router-info', label: 'vllm-router (info log)', port: info.port, pid: info.child.pid, note: 'same, default --log-level info, access log to a file' });
  targets.push(
    { key: 'bare-node', label: 'bare node:http', port: bare.port, pid: bare.child.pid, note: 'pipe-through node:http proxy, keep-alive agent' },
    { key: 'express', label: 'express + http-proxy', port: expressProxy.port, pid: expressProxy.child.pid, note: 'express reads the body for the model, http-proxy forwards it' },
    { key: 'tcp-pipe', label: 'node:net TCP pipe', port: tcpPipe.port, pid: tcpPipe.child.pid, note: 'bytes copied between sockets, no HTTP parsing (not a router)' },
    { key: 'nginx', label: 'nginx', port: nginx.port, pid: nginx.child.pid, note: `nginx, worker_processes ${config.nginxWorkers}, upstream keepalive` },
  );
  if (config.peers) {
    const venv = ensurePeers(log);
    for (const key of ['rust-vllm-router', 'sglang-router'] as const) {
      const peer = await startPeer(children, venv, key, upstream.port);
      targets.push({ key, label: PEER_LABELS[key], port: peer.port, pid: peer.child.pid, note: PEER_NOTES[key] });
    }
  }
  return targets;
}
