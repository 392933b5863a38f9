import type { SimApiServer } from '../apiserver.ts';
import type { SchedulingClock } from '../clock.ts';
import type { GarbageCollector } from '../garbage-collector.ts';
import { createDaemonSetController } from './daemonset.ts';
import { createDeploymentController } from './deployment.ts';
import { EventRecorder } from './events.ts';
import { ControllerManager } from './manager.ts';
import { createReplicaSetController } from './replicaset.ts';
import { createStatefulSetController } from './statefulset.ts';
import type { Controller, ControllerContext } from './types.ts';

export interface ControllerOptions {
  readonly clock: SchedulingClock;
}

export interface RunningControllers {
  readonly manager: ControllerManager;
  readonly context: ControllerContext;
}

/** kube-controller-manager, the scheduler and the kubelets of the embedded cluster, started on one clock. */
export function startControllers(api: SimApiServer, gc: GarbageCollector, options: ControllerOptions): RunningControllers {
  const context: ControllerContext = { api, clock: options.clock, events: new EventRecorder(api, options.clock) };
  const controllers: Controller[] = [
    createReplicaSetController(context),
    createDeploymentController(context),
    createStatefulSetController(context),
    createDaemonSetController(context),
  ];
  const manager = new ControllerManager(context, controllers, [gc]);
  manager.start();
  return { manager, context };
}
