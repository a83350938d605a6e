// The chart's alerts evaluated for real: `promtool test rules` on series shaped like the
// operator's metrics (operator/http/metrics.ts), and a real Prometheus scraping the real
// operator while it records an unbalanced run.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { backfill } from '../../operator/cli/recon-commands.ts';
import { operatorEnvForFile, s3ReconJob, waitFor } from '../support/operator-env.ts';
import { chartRuleFile, findPromTool, startPrometheus } from '../support/prometheus.ts';
import { requireService } from '../support/require-service.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
// The run's shared control plane; the operator watches only this file's namespace.
const world = operatorEnvForFile({ shared: true });

const run = { namespace: 'finance', job: 'orders' };
const labels = (extra: Record<string, string> = {}) =>
  `{${Object.entries({ ...run, ...extra }).map(([k, v]) => `${k}="${v}"`).join(',')}}`;

describe('chart alerts', { timeout: 240_000 }, () => {
  it('fire on operator-shaped series under promtool test rules, and stay quiet otherwise', async (ctx) => {
    const promtool = await requireService('promtool', async () => findPromTool('promtool'), ctx);
    const dir = await mkdtemp(join(tmpdir(), 'raas-promtool-'));
    dirs.push(dir);
    const rules = await chartRuleFile(dir, [], { withoutAnnotations: true });
    const check = spawnSync(promtool, ['check', 'rules', rules], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const up = '{job="raas",namespace="raas-system"}';
    const tests = {
      rule_files: [rules],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            // A job's first failure creates the counter at 1 (no earlier sample).
            { series: `raas_run_failures_total${labels({ stage: 'stage' })}`, values: '_x5 1x30' },
            { series: `raas_last_run_balanced${labels()}`, values: '1x5 0x30' },
            { series: `raas_last_run_balanced{namespace="finance",job="balanced"}`, values: '1x35' },
            // Due at t=0, never completed: overdue once the 2h grace is over.
            { series: `raas_job_next_schedule_timestamp_seconds{namespace="ops",job="late"}`, values: '0x200' },
            // Due at t=0 and completed at t=60 s: never overdue.
            { series: `raas_job_next_schedule_timestamp_seconds{namespace="ops",job="done"}`, values: '0x200' },
            { series: `raas_last_run_completion_timestamp_seconds{namespace="ops",job="done"}`, values: '60x200' },
            { series: `up${up}`, values: '1x5 0x30' },
            // The oldest open break is 3 days old, then (the next run) 8: past the default 7 days.
            { series: `raas_oldest_open_break_age_days${labels()}`, values: '3x5 8x30' },
            { series: `raas_oldest_open_break_age_days{namespace="finance",job="young"}`, values: '7x35' },
          ],
          alert_rule_test: [
            { eval_time: '3m', alertname: 'RaasRunFailed', exp_alerts: [] },
            { eval_time: '8m', alertname: 'RaasRunFailed', exp_alerts: [{ exp_labels: { severity: 'warning', ...run, stage: 'stage' } }] },
            { eval_time: '4m', alertname: 'RaasRunUnbalanced', exp_alerts: [] },
            { eval_time: '8m', alertname: 'RaasRunUnbalanced', exp_alerts: [{ exp_labels: { severity: 'warning', ...run } }] },
            { eval_time: '60m', alertname: 'RaasRunOverdue', exp_alerts: [] },
            { eval_time: '150m', alertname: 'RaasRunOverdue', exp_alerts: [{ exp_labels: { severity: 'warning', namespace: 'ops', job: 'late' } }] },
            { eval_time: '4m', alertname: 'RaasBreakTooOld', exp_alerts: [] },
            // Pending for the default 10 minutes first.
            { eval_time: '12m', alertname: 'RaasBreakTooOld', exp_alerts: [] },
            { eval_time: '20m', alertname: 'RaasBreakTooOld', exp_alerts: [{ exp_labels: { severity: 'warning', ...run } }] },
            { eval_time: '8m', alertname: 'RaasOperatorDown', exp_alerts: [] },
            { eval_time: '15m', alertname: 'RaasOperatorDown', exp_alerts: [{ exp_labels: { severity: 'critical' } }] },
          ],
        },
      ],
    };
    const file = join(dir, 'tests.yaml');
    await writeFile(file, stringify(tests));
    const res = spawnSync(promtool, ['test', 'rules', file], { encoding: 'utf8' });
    expect(res.status, res.stdout + res.stderr).toBe(0);
  });

  it('a real Prometheus scraping the real operator fires RaasRunUnbalanced for an unbalanced run', async (ctx) => {
    await requireService('prometheus', async () => findPromTool('prometheus'), ctx);
    const e = await world(ctx);
    const dir = await mkdtemp(join(tmpdir(), 'raas-prom-'));
    dirs.push(dir);
    const prom = await startPrometheus({ targets: [`127.0.0.1:${e.operator.port}`], ruleFile: await chartRuleFile(dir, ['fullnameOverride=raas']), dir });
    try {
      await e.s3.client.send(new PutObjectCommand({ Bucket: 'ledger', Key: 'orders/2024-01-01.csv', Body: 'id,amount\n1,10.00\n2,20.00\n' }));
      await e.s3.client.send(new PutObjectCommand({ Bucket: 'psp', Key: 'settlements/2024-01-01.csv', Body: 'id,amount\n1,10.00\n2,25.00\n' }));
      await e.kube.createCustom('reconjobs', e.namespace, s3ReconJob('orders', e.namespace, { schedule: { cron: '0 2 * * *', timeZone: 'UTC', suspend: true } }));
      await backfill(e.kube, { namespace: e.namespace, job: 'orders', from: '2024-01-01', to: '2024-01-01' }, () => undefined);
      type Alerts = { data: { alerts: Array<{ labels: Record<string, string>; state: string }> } };
      const alert = await waitFor('RaasRunUnbalanced firing in Prometheus', async () => {
        const r = await prom.query<Alerts>('/api/v1/alerts');
        return r.data.alerts.find((a) => a.labels.alertname === 'RaasRunUnbalanced' && a.state === 'firing');
      }, 120_000);
      expect(alert.labels).toMatchObject({ namespace: e.namespace, job: 'orders', severity: 'warning' });
      const up = await prom.query<{ data: { result: Array<{ value: [number, string] }> } }>(`/api/v1/query?query=${encodeURIComponent('up{job="raas"}')}`);
      expect(up.data.result[0]?.value[1]).toBe('1');
      // The operator is up, so RaasOperatorDown is neither pending nor firing once the rules
      // have been evaluated after a successful scrape (before the first scrape, `absent()`
      // is true and the alert may be pending for one evaluation).
      await waitFor('RaasOperatorDown inactive', async () => {
        const all = await prom.query<Alerts>('/api/v1/alerts');
        return all.data.alerts.every((a) => a.labels.alertname !== 'RaasOperatorDown');
      }, 60_000);
    } finally {
      await prom.stop();
    }
  });
});
