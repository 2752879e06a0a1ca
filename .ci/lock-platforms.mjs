// Why: msgpackr's optional native addon ships one package per platform, and the registry this
// project installs from lacks the darwin and win32 builds, so `npm install` leaves them out of
// package-lock.json and `npm ci` then refuses the lock as out of sync. npm skips optional packages
// of other platforms, so listing them (without a tarball) is enough. Idempotent; run by .ci/run.
import { readFileSync, writeFileSync } from 'node:fs';

const lockPath = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const extract = lock.packages['node_modules/msgpackr-extract'];
if (extract === undefined) process.exit(0);
let added = 0;
for (const [name, version] of Object.entries(extract.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key] !== undefined) continue;
  const [os, cpu] = name.replace('@msgpackr-extract/msgpackr-extract-', '').split('-');
  lock.packages[key] = { version, cpu: [cpu], license: 'MIT', optional: true, os: [os] };
  added++;
}
if (added > 0) {
  lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)));
  writeFileSync(lockPath, JSON.stringify(lock, null, 2) + '\n');
  console.error(`lock-platforms: listed ${added} optional platform package(s) in package-lock.json`);
}
