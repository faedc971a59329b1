/**
 * Engines put to sleep through the router (vLLM sleep mode: POST /sleep?id=<engine id>). A
 * sleeping engine leaves routing until it is woken (POST /wake_up) or reports itself awake
 * (GET /is_sleeping), as in the reference router. Kept per router replica, in memory.
 */
export class SleepState {
  private readonly asleep = new Set<string>();

  set(engineId: string, sleeping: boolean): void {
    if (sleeping) this.asleep.add(engineId);
    else this.asleep.delete(engineId);
  }

  isSleeping(engineId: string): boolean {
    return this.asleep.has(engineId);
  }

  /** Forget engines that left the table. */
  retain(engineIds: ReadonlySet<string>): void {
    for (const id of this.asleep) if (!engineIds.has(id)) this.asleep.delete(id);
  }
}
