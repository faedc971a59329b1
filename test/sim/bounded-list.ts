/** Append and drop the oldest entries so long runs (benchmarks) cannot grow memory without bound. */
export function pushBounded<T>(list: T[], item: T, limit: number): void {
  list.push(item);
  if (list.length > limit) list.splice(0, list.length - limit);
}
