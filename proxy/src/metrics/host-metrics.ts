import { statfs } from 'node:fs/promises';
import { cpus, freemem, totalmem } from 'node:os';
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

/** Busy and total CPU time of the whole machine so far, in milliseconds (all cores). */
function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/** `psutil.disk_usage('/').percent`: used / (used + available to unprivileged users). */
async function diskUsedPercent(path: string): Promise<number | undefined> {
  try {
    const s = await statfs(path);
    const used = (s.blocks - s.bfree) * s.bsize;
    const avail = s.bavail * s.bsize;
    return used + avail > 0 ? (used / (used + avail)) * 100 : 0;
  } catch {
    return undefined;
  }
}

/**
 * The reference router's host gauges (its Grafana dashboard plots them): machine-wide CPU, memory
 * and disk use in percent, as psutil reports them. CPU is measured over the time since the previous
 * scrape (psutil sleeps 0.1 s per scrape instead).
 */
export function registerHostMetrics(registry: Registry): void {
  let last = cpuTimes();
  new Gauge({
    name: 'router_cpu_usage_percent',
    help: 'CPU usage percent of the machine (all cores), since the previous scrape.',
    registers: [registry],
    collect() {
      const now = cpuTimes();
      const total = now.total - last.total;
      if (total > 0) this.set(((now.busy - last.busy) / total) * 100);
      last = now;
    },
  });
  new Gauge({
    name: 'router_memory_usage_percent',
    help: 'Memory usage percent of the machine ((total - available) / total).',
    registers: [registry],
    collect() {
      const total = totalmem();
      this.set(total > 0 ? ((total - freemem()) / total) * 100 : 0);
    },
  });
  new Gauge({
    name: 'router_disk_usage_percent',
    help: 'Disk usage percent of the filesystem holding /.',
    registers: [registry],
    async collect() {
      const percent = await diskUsedPercent('/');
      if (percent !== undefined) this.set(percent);
    },
  });
}

/** The process metrics every Prometheus client library exports under these names (Python's included). */
const STANDARD_PROCESS_METRICS = new Set([
  'process_start_time_seconds',
  'process_resident_memory_bytes',
  'process_virtual_memory_bytes',
  'process_open_fds',
  'process_max_fds',
]);

/**
 * Adds the standard process metrics to `registry`, unprefixed: prom-client's collectors, except
 * CPU time (prom-client updates it from its user-time collector, which is Node's own extra).
 */
export function registerStandardProcessMetrics(registry: Registry): void {
  new Counter({
    name: 'process_cpu_seconds_total',
    help: 'Total user and system CPU time spent in seconds.',
    registers: [registry],
    collect() {
      const { user, system } = process.cpuUsage();
      this.reset();
      this.inc((user + system) / 1e6);
    },
  });
  const scratch = new Registry();
  // Only the five metrics above are kept from this registry: its event-loop monitor must not wake
  // the loop (it would, every 10 ms, by default), so its sampling period is setTimeout's ceiling.
  collectDefaultMetrics({ register: scratch, eventLoopMonitoringPrecision: 2_147_483_647 });
  // getMetricsAsArray hands back the metric objects themselves (typed as their descriptions).
  for (const metric of scratch.getMetricsAsArray() as unknown as Metric[]) {
    if (STANDARD_PROCESS_METRICS.has((metric as unknown as { name: string }).name)) registry.registerMetric(metric);
  }
}
