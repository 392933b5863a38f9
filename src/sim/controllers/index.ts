import type { SimApiServer } from '../apiserver.ts';
import type { SchedulingClock } from '../clock.ts';
import type { GarbageCollector } from '../garbage-collector.ts';
import { SimControl } from './control.ts';
import { createCronJobController } from './cronjob.ts';
import { createDaemonSetController } from './daemonset.ts';
import { createDeploymentController } from './deployment.ts';
import { createDisruptionController } from './disruption.ts';
import { createEndpointSliceController } from './endpoint-slices.ts';
import { createEndpointsController } from './endpoints.ts';
import { EventRecorder } from './events.ts';
import { createJobController } from './job.ts';
import { createKubelet } from './kubelet.ts';
import { createLoadBalancerController } from './load-balancer.ts';
import { ControllerManager } from './manager.ts';
import { createNodes } from './nodes.ts';
import { createPvcBinder } from './pvc-binder.ts';
import { createReplicaSetController } from './replicaset.ts';
import { createResourceQuotaController } from './resource-quota.ts';
import { createScheduler } from './scheduler.ts';
import { createStatefulSetController } from './statefulset.ts';
import { ensureStandardStorageClass } from '../storage-classes.ts';
import type { Controller, ControllerContext } from './types.ts';

export interface ControllerOptions {
  readonly clock: SchedulingClock;
  /** simulated nodes (default 3) */
  readonly nodes?: number;
}

export interface RunningControllers {
  readonly manager: ControllerManager;
  readonly context: ControllerContext;
  /** fault injection and node failure, for tests and the playground */
  readonly control: SimControl;
}

/** kube-controller-manager, the scheduler and the kubelets of the embedded cluster, started on one clock. */
export function startControllers(api: SimApiServer, gc: GarbageCollector, options: ControllerOptions): RunningControllers {
  const context: ControllerContext = { api, clock: options.clock, events: new EventRecorder(api, options.clock) };
  createNodes(context, options.nodes === undefined ? {} : { count: options.nodes });
  ensureStandardStorageClass(api);
  const controllers: Controller[] = [
    createScheduler(context),
    createKubelet(context),
    createReplicaSetController(context),
    createDeploymentController(context),
    createStatefulSetController(context),
    createDaemonSetController(context),
    createJobController(context),
    createCronJobController(context),
    createEndpointsController(context),
    createEndpointSliceController(context),
    createLoadBalancerController(context),
    createPvcBinder(context),
    createDisruptionController(context),
    createResourceQuotaController(context),
  ];
  const manager = new ControllerManager(context, controllers, [gc]);
  manager.start();
  return { manager, context, control: new SimControl(context) };
}
