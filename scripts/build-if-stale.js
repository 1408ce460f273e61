#!/usr/bin/env node
/**
 * node scripts/build-if-stale.js: runs `npm run build` only when the sources changed since the last build it ran,
 * so `npm run demo:*` and `npm run bench:*` start in a second when nothing changed and still rebuild when
 * something did. Plain JavaScript: it runs before anything is compiled.
 *
 * "Changed" is a fingerprint of every input of the build: the path, size and modification time of each file under
 * apps/, libs/, tools/, scripts/ and bench/, and of package.json, package-lock.json and the tsconfig files. It is
 * written to dist/.build-fingerprint after a build that succeeded (a failed build leaves none, so the next run
 * builds again; deleting dist/ deletes it too). A file edited, added, removed or renamed, a branch checked out, a
 * dependency installed: all change the fingerprint.
 *
 * BUILD_IF_STALE_ROOT and BUILD_IF_STALE_COMMAND (tests) replace the project root and the build command.
 */
'use strict';
const { createHash } = require('node:crypto');
const { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } = require('node:fs');
const { dirname, join, relative } = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = process.env.BUILD_IF_STALE_ROOT || join(__dirname, '..');
const COMMAND = process.env.BUILD_IF_STALE_COMMAND || 'npm run build --silent';
const SOURCE_DIRS = ['apps', 'libs', 'tools', 'scripts', 'bench'];
const SOURCE_FILES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
const SKIP = new Set(['node_modules', 'dist', '.git']);
const STAMP = join(ROOT, 'dist', '.build-fingerprint');

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (SKIP.has(e.name)) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) walk(path, out);
    else if (e.isFile()) out.push(path);
  }
}

/** sha256 over (path, size, mtime) of every input, in a stable order; and how many inputs there are. */
function fingerprint() {
  const files = [];
  for (const d of SOURCE_DIRS) walk(join(ROOT, d), files);
  for (const f of SOURCE_FILES) if (existsSync(join(ROOT, f))) files.push(join(ROOT, f));
  files.sort();
  const hash = createHash('sha256');
  for (const f of files) {
    const s = statSync(f);
    hash.update(`${relative(ROOT, f)}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return { digest: hash.digest('hex'), count: files.length };
}

function main() {
  const before = fingerprint();
  const stamp = existsSync(STAMP) ? readFileSync(STAMP, 'utf8').trim() : '';
  if (stamp === before.digest) {
    process.stderr.write(`build: dist/ is up to date with its ${before.count} sources (no rebuild)\n`);
    return 0;
  }
  process.stderr.write(`build: sources changed since the last build: ${COMMAND}\n`);
  const started = Date.now();
  const result = spawnSync(COMMAND, { cwd: ROOT, shell: true, stdio: 'inherit' });
  const code = result.status ?? 1;
  if (code !== 0) {
    process.stderr.write(`build: failed (exit ${code}); the next run builds again\n`);
    return code;
  }
  // The fingerprint from before the build: a file edited while it ran makes the next run build again.
  mkdirSync(dirname(STAMP), { recursive: true });
  writeFileSync(STAMP, `${before.digest}\n`);
  process.stderr.write(`build: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return 0;
}

process.exit(main());
