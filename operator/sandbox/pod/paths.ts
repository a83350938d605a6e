// Container paths on a host without its own filesystem per process: each container path
// (a volume mount, the termination-message file, /tmp, the image's /app) maps to a host
// folder, and env values, args and the working directory are rewritten through the map.

export interface PathMapping {
  containerPath: string;
  hostPath: string;
}

/** Maps container paths to host paths; the longest container path wins (/work/x before /work). */
export function pathMapper(mappings: PathMapping[]): (value: string) => string {
  const table = [...mappings].sort((a, b) => b.containerPath.length - a.containerPath.length);
  return (value) => {
    for (const m of table) {
      if (value === m.containerPath) return m.hostPath;
      if (value.startsWith(`${m.containerPath}/`)) return m.hostPath + value.slice(m.containerPath.length);
    }
    return value;
  };
}

/** $(VAR) expansion as kubelet does it; $$ escapes, unknown references stay as written. */
export function expand(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => (m === '$$' ? '$' : name !== undefined && env[name] !== undefined ? env[name] : m));
}
