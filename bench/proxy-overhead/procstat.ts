import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function stat(pid: number): { ppid: number; cpuSeconds: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state ppid ... utime(14) stime(15).
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(rest[1]), cpuSeconds: (Number(rest[11]) + Number(rest[12])) / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(Number(name));
    if (s && s.ppid === pid) out.push(Number(name));
  }
  return out;
}

/** User+system CPU seconds used so far by a process and its direct children (nginx's workers). */
export function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const own = stat(pid);
  if (!own) return Number.NaN;
  let total = own.cpuSeconds;
  for (const child of childrenOf(pid)) total += stat(child)?.cpuSeconds ?? 0;
  return total;
}

/** Nanoseconds on a CPU of the live threads of one process (/proc/<pid>/task/<tid>/schedstat). */
function runNanos(pid: number): number {
  let total = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    return Number.NaN;
  }
  return total;
}

/**
 * CPU seconds so far of a process's live threads and its direct children's, in nanoseconds'
 * precision: /proc/<pid>/stat counts in 10 ms ticks, too coarse for an idle process (0.1 % of a
 * core over 60 s is 6 ticks). Only for differences over a window in which no thread ends.
 */
export function preciseCpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  let total = runNanos(pid);
  for (const child of childrenOf(pid)) total += runNanos(child) || 0;
  return total / 1e9;
}
