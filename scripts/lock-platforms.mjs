#!/usr/bin/env node
// Adds lock-file entries for the platform packages of optional dependencies that this machine's
// registry does not serve at the locked version (e.g. @duckdb/node-bindings-darwin-arm64), so that
// `npm ci` accepts the lock file. npm never installs them on another platform, so nothing is
// fetched. Run after `npm install` changes package-lock.json:  node scripts/lock-platforms.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const PLATFORMS = {
  'darwin-arm64': { os: 'darwin', cpu: 'arm64' },
  'darwin-x64': { os: 'darwin', cpu: 'x64' },
  'linux-arm64': { os: 'linux', cpu: 'arm64', libc: 'glibc' },
  'linux-arm64-musl': { os: 'linux', cpu: 'arm64', libc: 'musl' },
  'linux-x64': { os: 'linux', cpu: 'x64', libc: 'glibc' },
  'linux-x64-musl': { os: 'linux', cpu: 'x64', libc: 'musl' },
  'win32-arm64': { os: 'win32', cpu: 'arm64' },
  'win32-x64': { os: 'win32', cpu: 'x64' },
};
const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const pkgs = lock.packages;
const added = [];
for (const [name, version] of Object.entries(pkgs['node_modules/@duckdb/node-bindings']?.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (pkgs[key]) continue;
  const p = PLATFORMS[name.split('node-bindings-')[1]];
  if (!p) throw new Error(`unknown platform package ${name}`);
  pkgs[key] = { version, cpu: [p.cpu], license: 'MIT', optional: true, os: [p.os], ...(p.libc ? { libc: [p.libc] } : {}) };
  added.push(name);
}
lock.packages = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
process.stderr.write(added.length ? `added ${added.join(', ')}\n` : 'lock file already complete\n');
