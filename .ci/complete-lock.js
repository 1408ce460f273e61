#!/usr/bin/env node
// Run after every `npm install` (npm run lock:complete). Adds lock entries for optional platform packages the registry here does not serve (other OSes/CPUs), so that
// `npm ci` accepts the lock; npm skips them on this platform (os/cpu mismatch) or as failed optional installs.
const fs = require('fs');
const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8'));
const pk = lock.packages;
let added = 0;
const guess = (name) => {
  const os = /darwin/.test(name) ? ['darwin'] : /win32/.test(name) ? ['win32'] : /freebsd/.test(name) ? ['freebsd'] : /android/.test(name) ? ['android'] : /openharmony/.test(name) ? ['openharmony'] : /linux/.test(name) ? ['linux'] : /wasm/.test(name) ? undefined : undefined;
  const cpu = /arm64|aarch64/.test(name) ? ['arm64'] : /x64|x86_64/.test(name) ? ['x64'] : /ia32/.test(name) ? ['ia32'] : /arm-|armv7|gnueabihf|arm$/.test(name) ? ['arm'] : /ppc64/.test(name) ? ['ppc64'] : /s390x/.test(name) ? ['s390x'] : /riscv64/.test(name) ? ['riscv64'] : /wasm/.test(name) ? ['wasm32'] : undefined;
  const libc = /musl/.test(name) ? ['musl'] : /gnu/.test(name) && /linux/.test(name) ? ['glibc'] : undefined;
  return { os, cpu, libc };
};
for (const [path, meta] of Object.entries(pk)) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies || {})) {
    const base = path ? `${path}/node_modules/${dep}` : `node_modules/${dep}`;
    const hoisted = `node_modules/${dep}`;
    if (pk[base] || pk[hoisted]) continue;
    const g = guess(dep);
    pk[hoisted] = { version, ...(meta.dev ? { dev: true } : {}), optional: true, ...(g.os ? { os: g.os } : {}), ...(g.cpu ? { cpu: g.cpu } : {}), ...(g.libc ? { libc: g.libc } : {}) };
    added++;
  }
}
const sorted = Object.fromEntries(Object.entries(pk).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
lock.packages = sorted;
fs.writeFileSync('package-lock.json', JSON.stringify(lock, null, 2) + '\n');
console.log(`added ${added} lock entries`);
