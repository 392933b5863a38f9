import type { StoreEvent } from '../store.ts';
import type { VirtualClock } from '../clock.ts';
import type { Controller, ControllerContext } from './types.ts';
import { WorkQueue } from './work-queue.ts';

/** Something else that works off the event loop and can say whether it still has work (the GC). */
export interface Busy {
  readonly busy: boolean;
}

/**
 * Runs the simulated controllers: routes every store event to the controllers that care,
 * one work queue each, and lets tests wait until the cluster has nothing left to do.
 */
export class ControllerManager {
  private readonly queues: { controller: Controller; queue: WorkQueue }[];
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly ctx: ControllerContext,
    controllers: readonly Controller[],
    private readonly others: readonly Busy[] = [],
  ) {
    this.queues = controllers.map((controller) => ({
      controller,
      queue: new WorkQueue(controller.name, ctx.clock, (key) => controller.reconcile(key), () => {}),
    }));
  }

  start(): void {
    this.unsubscribe = this.ctx.api.store.subscribe((e) => this.route(e));
    for (const { controller, queue } of this.queues) for (const key of controller.initialKeys?.() ?? []) queue.add(key);
  }

  stop(): void {
    this.unsubscribe?.();
    for (const { queue } of this.queues) queue.stop();
  }

  get busy(): boolean {
    return this.queues.some((q) => q.queue.busy) || this.others.some((o) => o.busy);
  }

  /** Resolves once no controller has queued work (delayed requeues on the clock do not count). */
  async settle(maxRounds = 100_000): Promise<void> {
    for (let round = 0; round < maxRounds; round++) {
      await new Promise((resolve) => setImmediate(resolve));
      if (!this.busy) return;
    }
    throw new Error('the simulated controllers did not settle');
  }

  /**
   * With a virtual clock: move time forward by ms, letting the controllers react fully to
   * every timer before the next one fires, as they would in real time.
   */
  async advance(clock: VirtualClock, ms: number): Promise<void> {
    const target = clock.now().getTime() + ms;
    await this.settle();
    for (;;) {
      const next = clock.nextTimerAt()?.getTime();
      if (next === undefined || next > target) break;
      clock.advance(Math.max(0, next - clock.now().getTime()));
      await this.settle();
    }
    clock.advance(Math.max(0, target - clock.now().getTime()));
    await this.settle();
  }

  private route(event: StoreEvent): void {
    for (const { controller, queue } of this.queues) {
      for (const key of controller.keysFor(event)) queue.add(key);
    }
  }
}
