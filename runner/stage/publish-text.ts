// Message fragments shared by the publishers. Pure.
import { formatBytes, plural } from './bytes.ts';
import type { PublishItem } from './types.ts';

export function totalLine(items: PublishItem[], summary: PublishItem, where: string): string {
  const bytes = items.reduce((n, i) => n + i.size, summary.size);
  return `published ${plural(items.length, 'file')} and ${summary.name} (${formatBytes(bytes)}) to ${where}`;
}

export function errorText(err: unknown): string {
  // Node's own messages already start with the code ("EACCES: permission denied, ...").
  if (err instanceof Error) return 'code' in err && !err.message.startsWith(`${String(err.code)}:`) ? `${String(err.code)}: ${err.message}` : err.message;
  return String(err);
}
