// Names of the objects the operator creates, and label values. Every function is
// deterministic (a level-based controller must compute the same name on every pass) and
// collision-free: a name is used unchanged when it already fits, and any name that had
// to be altered (dots replaced, truncated) carries a hash of the whole original, so two
// different inputs never map to the same output by accident. A user could still name a
// ReconJob exactly like the altered form of another one; controllers therefore check
// the controller owner reference before adopting an existing child.
import { createHash } from 'node:crypto';

/**
 * The CronJob controller appends `-<minutes since the epoch>` (up to 11 characters) to
 * a CronJob's name to name its Jobs, which must stay within 63 characters.
 */
export const CRONJOB_NAME_MAX = 52;
/** Job names become the pods' `job-name` label value, limited to 63 characters. */
export const JOB_NAME_MAX = 63;
export const LABEL_VALUE_MAX = 63;
export const OBJECT_NAME_MAX = 253;

const HASH_LENGTH = 10; // 40 bits: collisions among one namespace's names are not a practical concern
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, HASH_LENGTH);
}

/**
 * `prefix-<hash of original>` within `max` characters. The prefix is trimmed to start
 * and end in a letter or digit so the result stays valid whatever sat at the cut.
 */
function withHash(original: string, sanitized: string, max: number, edgeChar: RegExp): string {
  const hash = shortHash(original);
  let start = 0;
  while (start < sanitized.length && !edgeChar.test(sanitized.charAt(start))) start++;
  let prefix = sanitized.slice(start, start + max - HASH_LENGTH - 1);
  while (prefix.length > 0 && !edgeChar.test(prefix.charAt(prefix.length - 1))) prefix = prefix.slice(0, -1);
  return prefix ? `${prefix}-${hash}` : hash;
}

/** A DNS label (a-z, 0-9, "-") of at most `max` characters. */
function dnsLabel(name: string, max: number): string {
  if (name.length <= max && DNS_LABEL.test(name)) return name;
  const sanitized = name.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  return withHash(name, sanitized, max, /[a-z0-9]/);
}

/**
 * The CronJob of a ReconJob. ReconJob names are DNS subdomains of up to 253 characters;
 * CronJob names must fit 52 and, because they prefix pod names and hostnames, are kept
 * to DNS labels: dots become "-".
 */
export function cronJobName(reconJobName: string): string {
  return dnsLabel(reconJobName, CRONJOB_NAME_MAX);
}

/** The Job the operator creates for a ReconRun (manual runs and backfills). */
export function runJobName(runName: string): string {
  return dnsLabel(runName, JOB_NAME_MAX);
}

/**
 * The ReconRun mirroring a CronJob-created Job has the Job's name: that is unique in the
 * namespace, known to the runner through the downward API (so it can report its run
 * name without API access), and `kubectl get jobs` and `kubectl get rr` line up.
 * A Job name is a DNS label of at most 63 characters, so it is always a valid ReconRun
 * name, and runJobName maps it back to itself.
 */
export function scheduledRunName(cronJobCreatedJobName: string): string {
  return cronJobCreatedJobName;
}

/**
 * The ReconRun of one backfill period: `<job>-<start>-<end>` with dates as yyyymmdd
 * (and `t<hhmmss>` when a boundary is not at midnight), so re-applying the same
 * backfill creates nothing new. The end is part of the name so that, after the job's
 * period changes from Daily to Monthly, a backfill of January is not mistaken for the
 * old run of January 1st.
 */
export function backfillRunName(jobName: string, window: { start: string; end: string }): string {
  const suffix = `${stamp(window.start)}-${stamp(window.end)}`;
  const name = `${jobName}-${suffix}`;
  if (name.length <= OBJECT_NAME_MAX && DNS_SUBDOMAIN.test(name)) return name;
  const head = withHash(jobName, jobName.toLowerCase().replace(/[^a-z0-9.-]/g, '-'), OBJECT_NAME_MAX - suffix.length - 1, /[a-z0-9]/);
  return `${head}-${suffix}`;
}

const LOCAL_ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2}))?)?/;

/** The local date and time as written in the window string; the job's zone is fixed, so that is unique. */
function stamp(instant: string): string {
  const m = LOCAL_ISO.exec(instant);
  if (!m) return shortHash(instant);
  const [, y, mo, d, h = '00', mi = '00', s = '00'] = m;
  const time = `${h}${mi}${s}`;
  return `${y}${mo}${d}${time === '000000' ? '' : `t${time}`}`;
}

/** A label value (at most 63 characters); longer or invalid values become a hashed short form. */
export function labelValue(s: string): string {
  if (s.length <= LABEL_VALUE_MAX && LABEL_VALUE.test(s)) return s;
  const sanitized = s.replace(/[^-A-Za-z0-9_.]/g, '-');
  return withHash(s, sanitized, LABEL_VALUE_MAX, /[A-Za-z0-9]/);
}
