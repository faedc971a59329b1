import { ConfigFileWatcher, type ConfigFileWatcherOptions } from '../config/config-file-watcher.js';
import type { RoutingSource, TableSink } from './routing-source.js';

export const ROUTING_FILE_COMPONENT = 'routing-file';

/**
 * `--routing-file <path>`: a mounted copy of the operator's routing.json, followed across the
 * kubelet's `..data` symlink swap. Invalid content is rejected (the last good table stays); a file
 * that is missing or unreadable makes /health 503 until it is back.
 */
export async function followRoutingFile(app: TableSink, path: string, options: ConfigFileWatcherOptions = {}): Promise<RoutingSource> {
  const watcher = new ConfigFileWatcher<unknown>(path, (text) => JSON.parse(text) as unknown, options);
  watcher.on('update', (event) => {
    if (event.ok) {
      app.setComponentFailure(ROUTING_FILE_COMPONENT, undefined);
      app.applyTable(event.config, 'file');
      return;
    }
    const unreadable = typeof (event.error.cause as NodeJS.ErrnoException | undefined)?.code === 'string';
    app.setComponentFailure(ROUTING_FILE_COMPONENT, unreadable ? event.error.message : undefined);
    app.rejectConfig('file', unreadable ? event.error.message : `${path}: ${event.error.message}`);
  });
  await watcher.start();
  return { name: `file ${path}`, stop: () => watcher.stop() };
}
