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

/** User+system CPU seconds used so far by a process and its direct children (nginx's workers). */
export function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const own = stat(pid);
  if (!own) return Number.NaN;
  let total = own.cpuSeconds;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(Number(name));
    if (s && s.ppid === pid) total += s.cpuSeconds;
  }
  return total;
}
