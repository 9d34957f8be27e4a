// Adds lockfile entries for other platforms' optional binary packages (e.g. @lancedb/lancedb-darwin-arm64)
// that this machine's registry mirror does not serve. Without them `npm install` leaves them out of
// package-lock.json and `npm ci` then refuses the lockfile as "out of sync". Entries carry os/cpu/libc,
// so npm skips them on other platforms and fetches them (from the public registry) where they match.
// Run after changing dependencies: `npm run lock:complete`.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;

function platformOf(name) {
  const base = name.split('/').pop();
  const os = ['darwin', 'linux', 'win32', 'android', 'freebsd'].find((candidate) => base.includes(`-${candidate}-`));
  const cpu = ['arm64', 'x64', 'ia32'].find((candidate) => base.includes(`-${candidate}`)) ?? (base.includes('-arm-') ? 'arm' : undefined);
  const libc = base.includes('musl') ? 'musl' : os === 'linux' && base.includes('gnu') ? 'glibc' : undefined;
  return { os, cpu, libc };
}

const added = [];
for (const [location, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${location ? `${location}/` : ''}node_modules/${name}`;
    const top = `node_modules/${name}`;
    if (packages[top] || packages[nested]) continue;
    const { os, cpu, libc } = platformOf(name);
    if (!os || !cpu) continue; // not a platform binary package
    packages[top] = { version, cpu: [cpu], os: [os], ...(libc ? { libc: [libc] } : {}), optional: true };
    added.push(`${name}@${version}`);
  }
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length ? `added ${added.length} platform package entries: ${added.join(', ')}` : 'lockfile already complete');
