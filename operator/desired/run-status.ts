// A ReconRun's status from its Job and the Job's pod (docs/design.md, Status). The result is the
// whole status the operator owns, to be written whole: a field absent here (an old
// message, say) must disappear from the object.
//
// The runner's termination message is untrusted text: it may be the runner's JSON, the
// tail of its log (FallbackToLogsOnError), truncated, or missing. Nothing here throws on
// it; what cannot be read becomes a message a person can act on.
import { terminationReportSchema, type Counts, type SucceededReport } from '../../runner/run/termination-report.ts';
import type { Timestamp, V1ContainerStateTerminated, V1ContainerStatus, V1Job, V1JobCondition, V1Pod } from './k8s-types.ts';
import { RUNNER_CONTAINER } from './pod-spec.ts';
import type { Condition, ReconRunStatus, RunPhase } from './types.ts';

export const COMPLETE = 'Complete';
export const FAILED = 'Failed';
export const BALANCED = 'Balanced';

/** Waiting reasons that are the normal way into a running container, not a problem to report. */
const STARTING_REASONS = new Set(['ContainerCreating', 'PodInitializing']);
/** How much of a log tail (the fallback termination message) goes into status. */
const LOG_TAIL_CHARS = 500;
/** metav1.Condition's limit. */
const MAX_REASON = 1024;

type Report =
  | { kind: 'none' }
  | { kind: 'unreadable'; text: string }
  | { kind: 'succeeded'; report: SucceededReport }
  | { kind: 'failed'; stage: string; message: string };

export function readReport(text: string | undefined): Report {
  if (text === undefined || text.trim() === '') return { kind: 'none' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'unreadable', text };
  }
  const parsed = terminationReportSchema.safeParse(json);
  if (!parsed.success) return { kind: 'unreadable', text };
  const r = parsed.data;
  return r.phase === 'Succeeded' ? { kind: 'succeeded', report: r } : { kind: 'failed', stage: r.stage, message: r.message };
}

interface Outcome {
  phase: RunPhase;
  /** Reason of the condition that describes the phase (Complete, or Failed when failed). */
  reason: string;
  message: string;
  balanced?: boolean;
  failedStage?: string;
  report?: SucceededReport;
  completionTime?: string;
}

export function runStatusFromJob(
  job: V1Job | undefined,
  pod: V1Pod | undefined,
  now: Date,
  generation: number,
  previousConditions: readonly Condition[] = [],
  previous?: { phase?: string; completionTime?: string | Date },
): ReconRunStatus {
  const container = runnerContainer(pod);
  const outcome = outcomeOf(job, pod, container, now);
  // The first completion time observed stays: the Job controller sets SuccessCriteriaMet
  // before Complete and completionTime, so a later look would move it, and with it the
  // `time` of notifications already sent (a retried event must be the same event).
  const settled = previous?.phase === outcome.phase ? time(previous.completionTime) : undefined;
  if (settled) outcome.completionTime = settled;
  const r = outcome.report;
  const startTime = time(job?.status?.startTime);
  return {
    phase: outcome.phase,
    ...(outcome.balanced !== undefined ? { balanced: outcome.balanced } : {}),
    ...(startTime ? { startTime } : {}),
    ...(outcome.completionTime ? { completionTime: outcome.completionTime } : {}),
    ...(r ? { counts: countsOf(r.counts) } : {}),
    ...(r?.mismatchedByColumn ? { mismatchedByColumn: r.mismatchedByColumn } : {}),
    ...(r?.diffTotals ? { diffTotals: r.diffTotals } : {}),
    ...(r?.summaries ? { summaries: nonNullSummaries(r.summaries) } : {}),
    ...(r?.results
      ? {
          results: {
            uri: r.results.uri,
            ...(r.results.files ? { files: r.results.files } : {}),
            ...(r.results.summaryUri ? { summaryUri: r.results.summaryUri } : {}),
          },
        }
      : {}),
    ...(job?.metadata?.name ? { jobName: job.metadata.name } : {}),
    message: outcome.message,
    ...(outcome.failedStage ? { failedStage: outcome.failedStage } : {}),
    conditions: conditionsFor(outcome, generation, now, previousConditions),
    observedGeneration: generation,
  };
}

function outcomeOf(job: V1Job | undefined, pod: V1Pod | undefined, container: V1ContainerStatus | undefined, now: Date): Outcome {
  if (!job) return { phase: 'Pending', reason: 'JobNotCreated', message: 'waiting for a runner Job to be created' };
  const terminated = container?.state?.terminated ?? container?.lastState?.terminated;
  const report = readReport(terminated?.message);
  const failedCond = trueCondition(job, 'Failed') ?? trueCondition(job, 'FailureTarget');
  if (failedCond) {
    const completionTime = time(failedCond.lastTransitionTime) ?? time(terminated?.finishedAt) ?? iso(now);
    return { phase: 'Failed', completionTime, ...failureOf(job, pod, failedCond, terminated, report) };
  }
  const completeCond = trueCondition(job, 'Complete') ?? trueCondition(job, 'SuccessCriteriaMet');
  if (completeCond) {
    const completionTime = time(job.status?.completionTime) ?? time(terminated?.finishedAt) ?? time(completeCond.lastTransitionTime) ?? iso(now);
    switch (report.kind) {
      case 'succeeded':
        return { phase: 'Succeeded', completionTime, reason: 'Succeeded', balanced: report.report.balanced, report: report.report, message: describeResult(report.report) };
      case 'none':
        return {
          phase: 'Succeeded',
          completionTime,
          reason: 'Succeeded',
          message:
            'the run completed but its report could not be read (the pod is gone or left no termination message), ' +
            'so whether it balanced is unknown; see summary.json under spec.output.uri',
        };
      case 'failed':
        return { phase: 'Failed', completionTime, ...stageFailure(report.stage, report.message) };
      case 'unreadable':
        // The Job completed (exit 0), so the run did: a cut or garbled report must not turn
        // it into a failure. Whether it balanced is unknown; summary.json has the answer.
        return {
          phase: 'Succeeded',
          completionTime,
          reason: 'Succeeded',
          message:
            'the run completed but its report could not be read (the termination message is not the runner\'s JSON), ' +
            'so whether it balanced is unknown; see summary.json under spec.output.uri',
        };
    }
  }
  if ((job.status?.active ?? 0) > 0) {
    const waiting = container?.state?.waiting;
    if (waiting?.reason && !STARTING_REASONS.has(waiting.reason)) {
      // Usually a missing Secret in envFrom or a wrong image: the user must act.
      return {
        phase: 'Pending',
        reason: toReason(waiting.reason, 'Waiting'),
        message: `runner container cannot start: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`,
      };
    }
    // The Job controller counts a pod as active while it is still Pending (unscheduled,
    // pulling its image): the run is Running, and Started is sent, only once the runner runs.
    if (container?.state?.running || pod?.status?.phase === 'Running') return { phase: 'Running', reason: 'Running', message: 'the runner is running' };
    return { phase: 'Pending', reason: 'PodPending', message: `Job ${job.metadata?.name ?? ''} created; its pod ${pod?.metadata?.name ?? ''} is not running yet`.replace(/  +/g, ' ') };
  }
  return { phase: 'Pending', reason: 'Starting', message: `Job ${job.metadata?.name ?? ''} created; waiting for its pod to start` };
}

type Failure = Pick<Outcome, 'reason' | 'message' | 'failedStage'>;

/** failedStage when the runner pod failed rather than a stage of the runner (the ReconRun API's term). */
export const POD_STAGE = 'pod';

function failureOf(
  job: V1Job,
  pod: V1Pod | undefined,
  cond: V1JobCondition,
  terminated: V1ContainerStateTerminated | undefined,
  report: Report,
): Failure {
  if (report.kind === 'failed') return stageFailure(report.stage, report.message);
  if (terminated?.reason === 'OOMKilled') {
    const limit = pod?.spec?.containers.find((c) => c.name === RUNNER_CONTAINER)?.resources?.limits?.memory;
    return {
      reason: 'OOMKilled',
      failedStage: POD_STAGE,
      message:
        `runner was OOMKilled${limit ? ` (container memory limit ${limit})` : ''}; raise spec.runner.resources.limits.memory ` +
        'or set spec.runner.memoryLimit well below it so DuckDB spills to disk',
    };
  }
  if (cond.reason === 'DeadlineExceeded') {
    const seconds = job.spec?.activeDeadlineSeconds;
    return {
      reason: 'DeadlineExceeded',
      failedStage: POD_STAGE,
      message:
        `the run took longer than spec.runner.activeDeadlineSeconds${seconds !== undefined ? ` (${seconds} s)` : ''} and was stopped; ` +
        'raise it, or give the runner more CPU and memory',
    };
  }
  if (report.kind === 'unreadable') return unreadable(report.text, terminated);
  if (terminated) {
    const after = report.kind === 'succeeded' ? 'after reporting a result, so the result may be incomplete' : 'without a report';
    return {
      reason: 'RunnerFailed',
      failedStage: POD_STAGE,
      message: `runner exited with code ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ''} ${after}`,
    };
  }
  if (pod?.status?.reason === 'Evicted') {
    return { reason: 'Evicted', failedStage: POD_STAGE, message: `runner pod was evicted${pod.status.message ? `: ${pod.status.message}` : ''}` };
  }
  const why = [cond.reason, cond.message].filter(Boolean).join(': ');
  return {
    reason: toReason(cond.reason ?? '', 'JobFailed'),
    failedStage: POD_STAGE,
    message: `Job ${job.metadata?.name ?? ''} failed${why ? ` (${why})` : ''}${pod ? '' : ' and its pod is gone, so the runner\'s report is lost'}`,
  };
}

function stageFailure(stage: string, message: string): Failure {
  return { reason: toReason(`${stage} failed`, 'RunnerFailed'), failedStage: stage, message: `stage "${stage}" failed: ${message}` };
}

function unreadable(text: string, terminated: V1ContainerStateTerminated | undefined): Failure {
  const tail = text.trim();
  const shown = tail.length > LOG_TAIL_CHARS ? `…${tail.slice(-LOG_TAIL_CHARS)}` : tail;
  const exit = terminated && terminated.exitCode !== 0 ? ` (exit code ${terminated.exitCode})` : '';
  return { reason: 'ReportUnreadable', failedStage: POD_STAGE, message: `the runner's report could not be read${exit}; it ended with: ${shown}` };
}

function describeResult(r: SucceededReport): string {
  const c = r.counts;
  const problems = [
    [c.mismatched, 'mismatched'],
    [c.leftOnly, 'left-only'],
    [c.rightOnly, 'right-only'],
    [c.duplicateKeysLeft + c.duplicateKeysRight, 'duplicate keys'],
    [c.nullKeysLeft + c.nullKeysRight, 'null keys'],
  ] as const;
  const found = problems.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`);
  const head = r.balanced ? (found.length ? 'balanced within spec.expect' : 'balanced') : 'unbalanced';
  const where = r.results?.summaryUri ?? r.results?.uri;
  const trimmed = r.truncated ? `; details trimmed to fit the termination message${where ? `, all in ${where}` : ''}` : '';
  const warnings = Array.isArray(r.warnings) ? r.warnings.filter((w): w is string => typeof w === 'string').map((w) => `; ${w}`).join('') : '';
  return `${head}: ${[`${c.matched} matched`, ...found].join(', ')}${warnings}${trimmed}`;
}

function conditionsFor(o: Outcome, generation: number, now: Date, previous: readonly Condition[]): Condition[] {
  const make = (type: string, status: Condition['status'], reason: string, message: string): Condition => {
    const prev = previous.find((c) => c.type === type);
    return {
      type,
      status,
      reason,
      message,
      lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : iso(now),
      observedGeneration: generation,
    };
  };
  const unfinished = `the run is ${o.phase.toLowerCase()}`;
  switch (o.phase) {
    case 'Pending':
    case 'Running':
      return [
        make(COMPLETE, 'False', o.reason, o.message),
        make(FAILED, 'False', o.reason, unfinished),
        make(BALANCED, 'Unknown', 'RunNotFinished', unfinished),
      ];
    case 'Succeeded':
      return [
        make(COMPLETE, 'True', o.reason, o.message),
        make(FAILED, 'False', o.reason, 'the run completed'),
        o.balanced === undefined
          ? make(BALANCED, 'Unknown', 'ReportMissing', o.message)
          : make(BALANCED, o.balanced ? 'True' : 'False', o.balanced ? 'Balanced' : 'Unbalanced', o.message),
      ];
    case 'Failed':
      return [
        make(COMPLETE, 'False', 'RunFailed', 'the run failed'),
        make(FAILED, 'True', o.reason, o.message),
        make(BALANCED, 'Unknown', 'RunFailed', 'the run failed before a result was known'),
      ];
  }
}

function runnerContainer(pod: V1Pod | undefined): V1ContainerStatus | undefined {
  const statuses = pod?.status?.containerStatuses ?? [];
  return statuses.find((c) => c.name === RUNNER_CONTAINER) ?? statuses[0];
}

function trueCondition(job: V1Job, type: string): V1JobCondition | undefined {
  return job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

/** Status leaves out a summary whose SQL returned NULL: the CRD has no nullable values. */
function nonNullSummaries(summaries: Record<string, string | null>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(summaries)) if (value !== null) out[name] = value;
  return out;
}

function countsOf(c: Counts): Counts {
  return {
    left: c.left,
    right: c.right,
    matched: c.matched,
    mismatched: c.mismatched,
    leftOnly: c.leftOnly,
    rightOnly: c.rightOnly,
    duplicateKeysLeft: c.duplicateKeysLeft,
    duplicateKeysRight: c.duplicateKeysRight,
    nullKeysLeft: c.nullKeysLeft,
    nullKeysRight: c.nullKeysRight,
  };
}

/** A condition reason: CamelCase letters and digits, as the API conventions require. */
export function toReason(text: string, fallback: string): string {
  const words = text.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const reason = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('').slice(0, MAX_REASON);
  return /^[A-Za-z]/.test(reason) ? reason : fallback;
}

/** RFC 3339 in UTC with whole seconds, as Kubernetes writes times. */
export function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function time(t: Timestamp | undefined): string | undefined {
  if (t === undefined) return undefined;
  const d = t instanceof Date ? t : new Date(t);
  return Number.isNaN(d.getTime()) ? undefined : iso(d);
}
