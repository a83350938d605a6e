// Downloads the jars listed in s3-jars.txt from Maven Central into a directory, refusing any
// whose SHA-256 differs from the pin. Used by the raas-spark image build (Dockerfile), which
// has node but no curl or Maven.
//   node fetch-jars.mjs <list> <dir>
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const [list, dir] = process.argv.slice(2);
if (!list || !dir) throw new Error('usage: node fetch-jars.mjs <list> <dir>');
const base = process.env.MAVEN_CENTRAL || 'https://repo1.maven.org/maven2';
for (const line of readFileSync(list, 'utf8').split('\n')) {
  if (!line.trim() || line.startsWith('#')) continue;
  const [path, sha256] = line.trim().split(/\s+/);
  const res = await fetch(`${base}/${path}`);
  if (!res.ok) throw new Error(`fetch-jars: ${base}/${path}: HTTP ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  const got = createHash('sha256').update(body).digest('hex');
  if (got !== sha256) throw new Error(`fetch-jars: ${path}: sha256 ${got}, expected ${sha256}`);
  writeFileSync(join(dir, basename(path)), body);
  console.log(`fetch-jars: ${basename(path)} (${body.length} bytes)`);
}
