/**
 * Summarises a V8 CPU profile (`.cpuprofile`, e.g. from `BENCH_CPU_PROFILE` in bench/server.ts or `node --cpu-prof`):
 * the top functions by self time, and self time grouped by package or source folder, so the cost of a request can
 * be read without a flame-graph viewer.
 *
 * @example
 *   node bench/profile-summary.ts /tmp/server.cpuprofile 30
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
const top = Number(process.argv[3] ?? 25);
if (!file) {
  console.error('usage: node bench/profile-summary.ts <file.cpuprofile> [top]');
  process.exit(1);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
// Self time per node: each sample's delta goes to the node it hit.
const selfMicros = new Map<number, number>();
profile.samples.forEach((id, index) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
const total = [...selfMicros.values()].reduce((sum, value) => sum + value, 0);

/** Where a function lives: a package name, a source folder of this repository, or a V8/Node category. */
function groupOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (packageMatch) return packageMatch[1] ?? url;
  if (url.startsWith('node:')) return url.split('/')[0] ?? url;
  const source = /\/(src\/[^/]+|ingest|cli|bench)\//.exec(url);
  return source?.[1] ?? url;
}

const functions = new Map<string, number>();
const groups = new Map<string, number>();
for (const [id, micros] of selfMicros) {
  const node = byId.get(id);
  if (!node) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${url.replace(/^.*\/(node_modules|src|bench|cli|ingest)\//, '$1/')}:${lineNumber + 1}` : '';
  const key = `${functionName || '(anonymous)'} ${where}`.trim();
  functions.set(key, (functions.get(key) ?? 0) + micros);
  const group = groupOf(url, functionName);
  groups.set(group, (groups.get(group) ?? 0) + micros);
}
const percent = (micros: number) => `${((100 * micros) / total).toFixed(1).padStart(5)} %`;
console.log(`profile: ${(total / 1e6).toFixed(1)} s sampled, ${profile.samples.length} samples`);
console.log('\nself time by package / folder:');
for (const [group, micros] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${percent(micros)}  ${group}`);
console.log('\ntop functions by self time:');
for (const [name, micros] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${percent(micros)}  ${name}`);
