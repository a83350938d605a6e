// What a namespace user may ask of a runner pod (docs/design.md, Safety). Whoever may create a ReconJob
// chooses spec.runner.image, serviceAccountName and envFrom; without a policy that is "any
// image, as any ServiceAccount, with any Secret of the namespace". The platform team sets the
// policy in the chart's values (runnerPolicy); the operator enforces it here (Ready=False
// with these messages) and the chart's ValidatingAdmissionPolicy enforces the same patterns
// at admission (templates/admission-policy.yaml), with the same matching rule.

export interface RunnerPolicy {
  /** Image patterns; the operator's own runner image is always allowed. */
  allowedImages: string[];
  /** ServiceAccount names (patterns) spec.runner.serviceAccountName may name. */
  allowedServiceAccounts: string[];
  /** Secret names (patterns) spec.runner.envFrom[].secretRef may name. */
  allowedEnvFromSecrets: string[];
}

/** The chart's defaults: only the operator's image, no ServiceAccount, any Secret of the namespace. */
export const DEFAULT_RUNNER_POLICY: RunnerPolicy = { allowedImages: [], allowedServiceAccounts: [], allowedEnvFromSecrets: ['*'] };

/**
 * A pattern is an exact name, or a prefix followed by one `*` at the end (`registry.example.com/raas:*`),
 * or `*` alone. Nothing else is special, so a pattern means the same in CEL and here.
 */
export function matchesPattern(value: string, pattern: string): boolean {
  return pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : value === pattern;
}

const matchesAny = (value: string, patterns: readonly string[]) => patterns.some((p) => matchesPattern(value, p));

interface RunnerSpec {
  image?: string | undefined;
  serviceAccountName?: string | undefined;
  envFrom?: Array<{ secretRef?: { name: string } | undefined; configMapRef?: { name: string } | undefined }> | undefined;
}

/** One line per refused field, naming the field, the value and the chart value that allows it. */
export function runnerPolicyProblems(runner: RunnerSpec | undefined, policy: RunnerPolicy, operatorImage: string): string[] {
  if (!runner) return [];
  const problems: string[] = [];
  if (runner.image !== undefined && runner.image !== operatorImage && !matchesAny(runner.image, policy.allowedImages)) {
    problems.push(`spec.runner.image: "${runner.image}" is not allowed by the runner policy; remove it to use ${operatorImage}, or ask the platform team to add a pattern to the chart value runnerPolicy.allowedImages`);
  }
  if (runner.serviceAccountName !== undefined && !matchesAny(runner.serviceAccountName, policy.allowedServiceAccounts)) {
    problems.push(`spec.runner.serviceAccountName: "${runner.serviceAccountName}" is not allowed by the runner policy (runner pods run without a service account token); remove it, or ask the platform team to add it to runnerPolicy.allowedServiceAccounts`);
  }
  for (const [i, e] of (runner.envFrom ?? []).entries()) {
    if (e.secretRef && !matchesAny(e.secretRef.name, policy.allowedEnvFromSecrets)) {
      problems.push(`spec.runner.envFrom[${i}].secretRef.name: Secret "${e.secretRef.name}" is not allowed by the runner policy; use a Secret matching runnerPolicy.allowedEnvFromSecrets (${policy.allowedEnvFromSecrets.join(', ') || 'none allowed'})`);
    }
  }
  return problems;
}

export class RunnerPolicyConfigError extends Error {}

/** RAAS_RUNNER_POLICY (JSON, from the chart) -> the policy; unset = the defaults. */
export function runnerPolicyFromEnv(value: string | undefined): RunnerPolicy {
  if (value === undefined || value.trim() === '') return DEFAULT_RUNNER_POLICY;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new RunnerPolicyConfigError('RAAS_RUNNER_POLICY must be JSON like {"allowedImages":["registry.example.com/raas:*"],"allowedServiceAccounts":[],"allowedEnvFromSecrets":["*"]}');
  }
  const o = (parsed && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
  const list = (key: keyof RunnerPolicy): string[] => {
    const v = o[key] ?? DEFAULT_RUNNER_POLICY[key];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x.length > 0 && !x.slice(0, -1).includes('*'))) {
      throw new RunnerPolicyConfigError(`RAAS_RUNNER_POLICY.${key} must be a list of names, each optionally ending in one *`);
    }
    return v as string[];
  };
  return { allowedImages: list('allowedImages'), allowedServiceAccounts: list('allowedServiceAccounts'), allowedEnvFromSecrets: list('allowedEnvFromSecrets') };
}
