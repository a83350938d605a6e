// Pod status as kubelet reports it, from what happened to the process: pure (the clock is
// a parameter), so the table tests next to this file are the specification. The process
// kubelet (../process-kubelet.ts) sends the result as a merge patch of pod status.

/** A container's state (the subset of V1ContainerState we write; timestamps are RFC 3339 text). */
export type ContainerState =
  | { running: { startedAt: string } }
  | { waiting: { reason: string; message: string } }
  | { terminated: Terminated };

export interface Terminated {
  exitCode: number;
  reason: 'Completed' | 'Error' | 'DeadlineExceeded';
  message?: string;
  startedAt: string;
  finishedAt: string;
  containerID: string;
}

export interface ContainerStatus {
  name: string;
  ready: boolean;
  started: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
  state: ContainerState;
  lastState?: { terminated: Terminated };
}

export interface PodCondition {
  type: 'PodReadyToStartContainers' | 'Initialized' | 'Ready' | 'ContainersReady' | 'PodScheduled';
  status: 'True' | 'False';
  lastTransitionTime: string;
  reason?: string;
}

/** The pod status fields the process kubelet patches. */
export interface PodStatusPatch {
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  reason?: string;
  message?: string;
  hostIP?: string;
  hostIPs?: Array<{ ip: string }>;
  podIP?: string;
  podIPs?: Array<{ ip: string }>;
  startTime?: string;
  conditions?: PodCondition[];
  containerStatuses?: ContainerStatus[];
}

/** What the shell knows about the pod's one container and its run. */
export interface RunContext {
  container: { name: string; image: string };
  uid: string;
  podIP: string;
  /** When the pod's first container start began. */
  startedAt: string;
}

/** Kubernetes' timestamp text: RFC 3339 in seconds. */
export function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

export function podConditions(since: string, ready: boolean, now: string): PodCondition[] {
  const notReady = ready ? {} : { reason: 'ContainersNotReady' };
  return [
    { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: since },
    { type: 'Initialized', status: 'True', lastTransitionTime: since },
    { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now, ...notReady },
    { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: now, ...notReady },
    { type: 'PodScheduled', status: 'True', lastTransitionTime: since },
  ];
}

const processId = (uid: string) => `process://${uid}`;

function placed(c: RunContext): PodStatusPatch {
  return { hostIP: '127.0.0.1', hostIPs: [{ ip: '127.0.0.1' }], podIP: c.podIP, podIPs: [{ ip: c.podIP }], startTime: c.startedAt };
}

/** A container that cannot be created (a missing Secret, say): the pod stays Pending with the reason. */
export function configErrorStatus(c: RunContext, message: string): PodStatusPatch {
  return {
    phase: 'Pending',
    conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: c.startedAt }],
    containerStatuses: [{ name: c.container.name, ready: false, restartCount: 0, image: c.container.image, imageID: '', started: false, state: { waiting: { reason: 'CreateContainerConfigError', message } } }],
  };
}

/** The container's process is running since `since`. */
export function runningStatus(c: RunContext, since: string, ready: boolean, restartCount: number, now: string): PodStatusPatch {
  return {
    ...placed(c),
    phase: 'Running',
    conditions: podConditions(c.startedAt, ready, now),
    containerStatuses: [{ name: c.container.name, ready, started: true, restartCount, image: c.container.image, imageID: processId(c.container.image), containerID: processId(c.uid), state: { running: { startedAt: since } } }],
  };
}

/** How a process ended, as a container's terminated state. A signal-killed process has no code: 137. */
export function terminatedState(c: RunContext, exit: { code: number | null; deadlineExceeded: boolean; message: string; since: string; finishedAt: string }): Terminated {
  return {
    exitCode: exit.code ?? 137,
    reason: exit.deadlineExceeded ? 'DeadlineExceeded' : exit.code === 0 ? 'Completed' : 'Error',
    ...(exit.message ? { message: exit.message } : {}),
    startedAt: exit.since,
    finishedAt: exit.finishedAt,
    containerID: processId(c.uid),
  };
}

/** restartPolicy Always after an exit: waiting in CrashLoopBackOff, the exit as lastState. */
export function crashLoopStatus(c: RunContext, terminated: Terminated, restartCount: number, now: string): PodStatusPatch {
  return {
    ...placed(c),
    phase: 'Running',
    conditions: podConditions(c.startedAt, false, now),
    containerStatuses: [
      { name: c.container.name, ready: false, started: false, restartCount, image: c.container.image, imageID: '', containerID: processId(c.uid), state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off restarting failed container' } }, lastState: { terminated } },
    ],
  };
}

/** The final status after the container exited for good (restartPolicy Never/OnFailure, or a stop). */
export function exitedStatus(c: RunContext, terminated: Terminated, opts: { restartAlways: boolean; deadlineExceeded: boolean; restartCount: number; now: string }): PodStatusPatch {
  const ok = terminated.exitCode === 0 && !opts.deadlineExceeded;
  return {
    ...placed(c),
    phase: opts.restartAlways ? 'Running' : ok ? 'Succeeded' : 'Failed',
    ...(opts.deadlineExceeded ? { reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' } : {}),
    conditions: podConditions(c.startedAt, false, opts.now),
    containerStatuses: [{ name: c.container.name, ready: false, started: false, restartCount: opts.restartCount, image: c.container.image, imageID: processId(c.container.image), containerID: processId(c.uid), state: { terminated } }],
  };
}

export const TERMINATION_MESSAGE_LIMIT = 4096;

/**
 * The termination message: what the container wrote to its termination-message file (at
 * most 4096 bytes), else with FallbackToLogsOnError and a failed exit the log tail (at
 * most 80 lines and 2048 bytes), else empty.
 */
export function terminationMessage(written: Uint8Array, policy: string | undefined, exitCode: number | null, output: string): string {
  if (written.length) return Buffer.from(written).subarray(0, TERMINATION_MESSAGE_LIMIT).toString('utf8');
  if (policy === 'FallbackToLogsOnError' && exitCode !== 0) {
    const lines = output.split('\n').slice(-80).join('\n');
    return Buffer.from(lines).subarray(-2048).toString('utf8');
  }
  return '';
}

/** Restart backoff for restartPolicy Always: 1 s doubling to at most 10 s. */
export function restartDelayMs(restartCount: number): number {
  return Math.min(1000 * 2 ** Math.min(restartCount - 1, 4), 10_000);
}
