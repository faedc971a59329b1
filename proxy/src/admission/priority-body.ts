import type { EngineEntry } from '@vllm-router/common/routing-table';

/** vLLM's request field; it refuses a non-zero value unless it runs with --scheduling-policy priority. */
const ENGINE_FIELD = 'priority';

/**
 * The body each engine gets: engines that schedule by priority (`priorityScheduling` in the routing
 * table) get the request's priority in `priority`; the others get the client's body without a
 * `priority` field, which they would refuse. Undefined when every engine can take the body as it is.
 * Each variant is serialised at most once, and only if an engine needs it.
 */
export function priorityBodies(json: Record<string, unknown> | undefined, body: Buffer, priority: number): ((engine: EngineEntry) => Buffer) | undefined {
  if (!json) return undefined;
  const clientHas = Object.hasOwn(json, ENGINE_FIELD);
  const forwardUnchanged = clientHas ? json[ENGINE_FIELD] === priority : priority === 0;
  if (!clientHas && forwardUnchanged) return undefined;
  let forwarded: Buffer | undefined = forwardUnchanged ? body : undefined;
  let stripped: Buffer | undefined = clientHas ? undefined : body;
  return (engine) => {
    if (engine.priorityScheduling) return (forwarded ??= Buffer.from(JSON.stringify({ ...json, [ENGINE_FIELD]: priority })));
    if (!stripped) {
      const { [ENGINE_FIELD]: _dropped, ...rest } = json;
      stripped = Buffer.from(JSON.stringify(rest));
    }
    return stripped;
  };
}
