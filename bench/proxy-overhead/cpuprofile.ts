import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The parts of V8's .cpuprofile format used here. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  /** Microseconds from the previous sample (the first: from startTime). */
  timeDeltas?: number[];
}

/** Hit counts of the samples taken from `skipMs` after the profile's start on (start-up left out). */
function hitsAfter(profile: CpuProfile, skipMs: number): Map<number, number> | undefined {
  const { samples, timeDeltas } = profile;
  if (!samples || !timeDeltas || samples.length !== timeDeltas.length) return undefined;
  const from = profile.startTime + skipMs * 1000;
  const hits = new Map<number, number>();
  let t = profile.startTime;
  samples.forEach((id, i) => {
    t += timeDeltas[i]!;
    if (t >= from) hits.set(id, (hits.get(id) ?? 0) + 1);
  });
  return hits;
}

export interface Entry {
  name: string;
  ms: number;
  share: number;
  /** For byProxyCaller: the functions directly called from that proxy frame that the time went to. */
  callees?: Entry[];
}

export interface ProfileSummary {
  wallMs: number;
  /** Time not spent idle (includes GC and "(program)"). */
  busyMs: number;
  /** Self time per function (top N). */
  selfByFunction: Entry[];
  /** Self time per area: a proxy source file, a node_modules package, node internals, GC. */
  selfByArea: Entry[];
  /** Each busy sample charged to the innermost proxy/src function on its stack: what the proxy's own code costs, callees included. */
  byProxyCaller: Entry[];
  /** Inclusive time of proxy/src functions (callees included; recursion counted once). */
  proxyInclusive: Entry[];
}

const maps = new Map<string, SourceMap | undefined>();
const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

function sourceMapFor(file: string): SourceMap | undefined {
  if (!maps.has(file)) {
    const path = `${file}.map`;
    maps.set(file, existsSync(path) ? new SourceMap(JSON.parse(readFileSync(path, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]) : undefined);
  }
  return maps.get(file);
}

/** `proxy/src/http/server.ts:120` for compiled proxy code (via its source map), else a short location. */
function location(frame: ProfileNode['callFrame']): string {
  const { url, lineNumber, columnNumber } = frame;
  if (!url) return '';
  if (url.startsWith('file://')) {
    const file = fileURLToPath(url);
    const entry = sourceMapFor(file)?.findEntry(lineNumber, columnNumber);
    if (entry && 'originalSource' in entry && entry.originalSource) {
      const src = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : resolve(dirname(file), entry.originalSource);
      return `${relative(root, src)}:${entry.originalLine + 1}`;
    }
    return `${relative(root, file)}:${lineNumber + 1}`;
  }
  return `${url}:${lineNumber + 1}`;
}

function area(frame: ProfileNode['callFrame'], where: string): string {
  const { url, functionName } = frame;
  if (!url) return functionName || '(anonymous native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `npm:${pkg[1]}`;
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').replace(/\/.*$/, '');
  return where.replace(/:\d+$/, '');
}

const isProxy = (where: string) => where.startsWith('proxy/src/');

function top(map: Map<string, number>, busy: number, n: number, callees?: Map<string, Map<string, number>>): Entry[] {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, ms]) => {
      const sub = callees?.get(name);
      return { name, ms: Math.round(ms), share: busy ? ms / busy : 0, ...(sub ? { callees: top(sub, busy, 5) } : {}) };
    });
}

function add(map: Map<string, number>, key: string, ms: number): void {
  map.set(key, (map.get(key) ?? 0) + ms);
}

/**
 * Summarises a .cpuprofile file: where the busy time went, by function, by area and by proxy caller;
 * with `skipMs`, only from that long after the profile's start on.
 */
export function summarizeProfile(path: string, n = 25, skipMs = 0): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const kept = skipMs > 0 ? hitsAfter(profile, skipMs) : undefined;
  if (kept) {
    for (const node of profile.nodes) node.hitCount = kept.get(node.id) ?? 0;
    profile.startTime = Math.min(profile.endTime, profile.startTime + skipMs * 1000);
  }
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const totalSamples = profile.nodes.reduce((s, node) => s + (node.hitCount ?? 0), 0) || (profile.samples?.length ?? 0);
  const wallMs = (profile.endTime - profile.startTime) / 1000;
  const perSample = totalSamples ? wallMs / totalSamples : 0;
  const where = new Map(profile.nodes.map((node) => [node.id, location(node.callFrame)]));

  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  const callers = new Map<string, number>();
  const callerCallees = new Map<string, Map<string, number>>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    const fn = node.callFrame.functionName || '(anonymous)';
    if (hits === 0 || fn === '(idle)') continue;
    const ms = hits * perSample;
    busy += ms;
    const w = where.get(node.id) ?? '';
    add(self, `${fn} ${w}`.trim(), ms);
    add(areas, area(node.callFrame, w), ms);
    let caller: string | undefined;
    let below: number | undefined; // the frame the innermost proxy frame called
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!;
      const fw = where.get(id) ?? '';
      if (!isProxy(fw)) {
        if (caller === undefined) below = id;
        continue;
      }
      const key = `${frame.callFrame.functionName || '(anonymous)'} ${fw}`;
      if (caller === undefined) {
        caller = key;
        const callee = below === undefined ? '(self)' : `${byId.get(below)!.callFrame.functionName || '(anonymous)'} ${where.get(below) ?? ''}`.trim();
        const sub = callerCallees.get(key) ?? new Map<string, number>();
        callerCallees.set(key, sub);
        add(sub, callee, ms);
      }
      if (!seen.has(key)) {
        seen.add(key);
        add(inclusive, key, ms);
      }
    }
    add(callers, caller ?? '(no proxy/src frame on the stack: node http parser, sockets, timers, GC)', ms);
  }
  return {
    wallMs,
    busyMs: busy,
    selfByFunction: top(self, busy, n),
    selfByArea: top(areas, busy, n),
    byProxyCaller: top(callers, busy, n, callerCallees),
    proxyInclusive: top(inclusive, busy, n),
  };
}

export function formatSummary(title: string, s: ProfileSummary, requests: number): string {
  const line = (e: Entry, indent: string) => `${indent}${(e.share * 100).toFixed(1).padStart(5)}%  ${String(e.ms).padStart(6)} ms  ${e.name}`;
  const list = (heading: string, entries: readonly Entry[]) => [
    heading,
    ...entries.flatMap((e) => [line(e, '  '), ...(e.callees ?? []).filter((c) => c.ms > 0).map((c) => line(c, '        -> '))]),
  ];
  const perRequest = requests > 0 ? ` = ${((s.busyMs * 1000) / requests).toFixed(1)} us CPU per request (${requests} requests)` : '';
  return [
    `== ${title}: ${Math.round(s.busyMs)} ms busy of ${Math.round(s.wallMs)} ms profiled${perRequest}`,
    ...list('self time by area:', s.selfByArea.slice(0, 15)),
    ...list('self time by function:', s.selfByFunction),
    ...list('busy time charged to the innermost proxy/src frame (callees included):', s.byProxyCaller.slice(0, 15)),
    ...list('inclusive time of proxy/src functions:', s.proxyInclusive.slice(0, 20)),
  ].join('\n');
}
