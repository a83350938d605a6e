// The operator's Prometheus metrics. Labels stay bounded: namespace and job (the ReconJob)
// at most, never run names or windows, so fifty jobs are fifty series per metric.
// One Registry per operator instance (tests run several in one process).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface FinishedRun {
  namespace: string;
  job: string;
  phase: 'Succeeded' | 'Failed';
  balanced?: boolean;
  failedStage?: string;
  startTime?: string;
  completionTime?: string;
  counts?: { left: number; right: number; mismatched: number; leftOnly: number; rightOnly: number };
  /** The break ledger after the run (runner/run/termination-report.ts). */
  breaks?: { open: number; oldestAgeDays?: number | undefined };
}

export class OperatorMetrics {
  readonly registry = new Registry();
  private readonly runDuration: Histogram<'namespace' | 'job' | 'phase'>;
  private readonly runs: Counter<'namespace' | 'job' | 'result'>;
  private readonly failures: Counter<'namespace' | 'job' | 'stage'>;
  private readonly lastRows: Gauge<'namespace' | 'job' | 'side'>;
  private readonly lastMismatched: Gauge<'namespace' | 'job'>;
  private readonly lastLeftOnly: Gauge<'namespace' | 'job'>;
  private readonly lastRightOnly: Gauge<'namespace' | 'job'>;
  private readonly lastBalanced: Gauge<'namespace' | 'job'>;
  private readonly lastCompletion: Gauge<'namespace' | 'job'>;
  private readonly openBreaks: Gauge<'namespace' | 'job'>;
  private readonly oldestBreakDays: Gauge<'namespace' | 'job'>;
  private readonly nextSchedule: Gauge<'namespace' | 'job'>;
  private readonly notifications: Counter<'namespace' | 'job' | 'sink' | 'result'>;
  private readonly reconcileDuration: Histogram<'kind'>;
  private readonly watchRestarts: Counter<'informer'>;
  private readonly queueDepthGauge: Gauge<'queue'>;
  private queueDepths: () => Record<string, number> = () => ({});

  constructor(opts: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.runDuration = new Histogram({
      name: 'raas_run_duration_seconds',
      help: 'Duration of finished reconciliation runs, from Job start to completion.',
      labelNames: ['namespace', 'job', 'phase'],
      buckets: [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400],
      registers,
    });
    this.runs = new Counter({ name: 'raas_runs_total', help: 'Finished runs by result: balanced, unbalanced or failed.', labelNames: ['namespace', 'job', 'result'], registers });
    this.failures = new Counter({ name: 'raas_run_failures_total', help: 'Failed runs by the stage that failed.', labelNames: ['namespace', 'job', 'stage'], registers });
    this.lastRows = new Gauge({ name: 'raas_last_run_rows', help: 'Rows compared on each side in the last finished run.', labelNames: ['namespace', 'job', 'side'], registers });
    this.lastMismatched = new Gauge({ name: 'raas_last_run_mismatched', help: 'Mismatched keys in the last finished run.', labelNames: ['namespace', 'job'], registers });
    this.lastLeftOnly = new Gauge({ name: 'raas_last_run_left_only', help: 'Keys only in the primary (left) source in the last finished run.', labelNames: ['namespace', 'job'], registers });
    this.lastRightOnly = new Gauge({ name: 'raas_last_run_right_only', help: 'Keys only in the target (right) source in the last finished run.', labelNames: ['namespace', 'job'], registers });
    this.lastBalanced = new Gauge({ name: 'raas_last_run_balanced', help: '1 when the last successful run was balanced, 0 when not.', labelNames: ['namespace', 'job'], registers });
    this.lastCompletion = new Gauge({ name: 'raas_last_run_completion_timestamp_seconds', help: 'When the last run finished (Unix seconds).', labelNames: ['namespace', 'job'], registers });
    this.openBreaks = new Gauge({ name: 'raas_open_breaks', help: 'Breaks (left-only, right-only, mismatched keys) open after the last finished run, persisting ones included.', labelNames: ['namespace', 'job'], registers });
    this.oldestBreakDays = new Gauge({
      name: 'raas_oldest_open_break_age_days',
      help: 'Age in days of the oldest break open after the last finished run (0 when none is open).',
      labelNames: ['namespace', 'job'],
      registers,
    });
    this.nextSchedule = new Gauge({ name: 'raas_job_next_schedule_timestamp_seconds', help: 'When the next scheduled run is due (Unix seconds); absent for unscheduled or suspended jobs.', labelNames: ['namespace', 'job'], registers });
    this.notifications = new Counter({ name: 'raas_notifications_total', help: 'Notification deliveries by sink and result (delivered or failed).', labelNames: ['namespace', 'job', 'sink', 'result'], registers });
    this.reconcileDuration = new Histogram({
      name: 'raas_reconcile_duration_seconds',
      help: 'Time one reconcile of a key took (kind: reconjob, reconrun, or scheduledjob for a CronJob-created Job mirrored into a ReconRun).',
      labelNames: ['kind'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.watchRestarts = new Counter({ name: 'raas_watch_restarts_total', help: 'Watches restarted after an error or a stall.', labelNames: ['informer'], registers });
    const depths = () => this.queueDepths();
    this.queueDepthGauge = new Gauge({
      name: 'raas_workqueue_depth',
      help: 'Keys waiting in each work queue.',
      labelNames: ['queue'],
      registers,
      collect() {
        // prom-client calls collect with the gauge as `this`.
        for (const [queue, depth] of Object.entries(depths())) this.set({ queue }, depth);
      },
    });
  }

  trackQueues(depths: () => Record<string, number>): void {
    this.queueDepths = depths;
  }

  /** Counters and the duration histogram, once per run as it finishes (seen by this process). */
  runFinished(r: FinishedRun): void {
    const labels = { namespace: r.namespace, job: r.job };
    const start = r.startTime ? Date.parse(r.startTime) : NaN;
    const end = r.completionTime ? Date.parse(r.completionTime) : Date.now();
    if (Number.isFinite(start) && end >= start) this.runDuration.observe({ ...labels, phase: r.phase }, (end - start) / 1000);
    if (r.phase === 'Failed') {
      this.runs.inc({ ...labels, result: 'failed' });
      this.failures.inc({ ...labels, stage: r.failedStage ?? 'unknown' });
    } else {
      this.runs.inc({ ...labels, result: r.balanced ? 'balanced' : 'unbalanced' });
    }
    this.lastRun(r);
  }

  /**
   * The last-run gauges. Also set from each ReconJob's status.lastRun on every reconcile,
   * so they survive an operator restart (an unbalanced alert must not clear by itself).
   */
  lastRun(r: FinishedRun): void {
    const labels = { namespace: r.namespace, job: r.job };
    const end = r.completionTime ? Date.parse(r.completionTime) : NaN;
    if (Number.isFinite(end)) this.lastCompletion.set(labels, Math.floor(end / 1000));
    if (r.phase === 'Failed') return;
    if (r.balanced !== undefined) this.lastBalanced.set(labels, r.balanced ? 1 : 0);
    if (r.counts) {
      this.lastRows.set({ ...labels, side: 'left' }, r.counts.left);
      this.lastRows.set({ ...labels, side: 'right' }, r.counts.right);
      this.lastMismatched.set(labels, r.counts.mismatched);
      this.lastLeftOnly.set(labels, r.counts.leftOnly);
      this.lastRightOnly.set(labels, r.counts.rightOnly);
    }
    if (r.breaks) {
      this.openBreaks.set(labels, r.breaks.open);
      this.oldestBreakDays.set(labels, r.breaks.oldestAgeDays ?? 0);
    }
  }

  setNextSchedule(namespace: string, job: string, next: Date | undefined): void {
    if (next) this.nextSchedule.set({ namespace, job }, Math.floor(next.getTime() / 1000));
    else this.nextSchedule.remove({ namespace, job });
  }

  notification(namespace: string, job: string, sink: string, delivered: boolean): void {
    this.notifications.inc({ namespace, job, sink, result: delivered ? 'delivered' : 'failed' });
  }

  reconciled(kind: 'job' | 'run' | 'scheduled', ms: number): void {
    this.reconcileDuration.observe({ kind: kind === 'job' ? 'reconjob' : kind === 'run' ? 'reconrun' : 'scheduledjob' }, ms / 1000);
  }

  watchRestarted(informer: string): void {
    this.watchRestarts.inc({ informer });
  }

  /** A deleted ReconJob's series go with it, so label sets stay bounded by the live jobs. */
  forgetJob(namespace: string, job: string): void {
    const labels = { namespace, job };
    for (const g of [this.lastMismatched, this.lastLeftOnly, this.lastRightOnly, this.lastBalanced, this.lastCompletion, this.nextSchedule, this.openBreaks, this.oldestBreakDays]) g.remove(labels);
    this.lastRows.remove({ ...labels, side: 'left' });
    this.lastRows.remove({ ...labels, side: 'right' });
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
