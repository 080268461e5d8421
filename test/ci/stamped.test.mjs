// scripts/stamped.sh, the gate of the slow checks, in a scratch git repository: a check runs
// when an input changed since it last passed, is skipped only when none did, and a failure
// leaves the stamp as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const script = path.resolve(import.meta.dirname, '..', '..', 'scripts', 'stamped.sh');

/** Runs `body` in a scratch repository with one input, src/a.rs, and one other file. */
function inRepository(body) {
  const dir = repository();
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function repository() {
  const dir = mkdtempSync(path.join(tmpdir(), 'tim-stamped-'));
  mkdirSync(path.join(dir, 'scripts'));
  mkdirSync(path.join(dir, 'src'));
  copyFileSync(script, path.join(dir, 'scripts', 'stamped.sh'));
  writeFileSync(path.join(dir, 'src', 'a.rs'), 'fn a() {}\n');
  writeFileSync(path.join(dir, 'other.txt'), 'not an input\n');
  execFileSync('git', ['init', '-q'], { cwd: dir });
  execFileSync('git', ['add', '-A'], { cwd: dir });
  return dir;
}

/** Runs `stamped.sh check src -- sh -c COMMAND`; whether the command ran, and the exit status. */
function check(dir, command = 'touch ran') {
  rmSync(path.join(dir, 'ran'), { force: true });
  const run = spawnSync('bash', ['scripts/stamped.sh', 'check', 'src', '--', 'sh', '-c', command], { cwd: dir, encoding: 'utf8' });
  return { ran: existsSync(path.join(dir, 'ran')), status: run.status, stderr: run.stderr };
}

test('runs without a stamp, then skips while the inputs are unchanged', () =>
  inRepository((dir) => {
    assert.deepEqual([check(dir).ran, check(dir).ran], [true, false]);
    assert.match(check(dir).stderr, /SKIPPED check: its inputs \(src\) are unchanged/);
    writeFileSync(path.join(dir, 'other.txt'), 'changed, but not an input\n');
    assert.equal(check(dir).ran, false);
  }));

test('runs again when an input is edited, added or removed', () =>
  inRepository((dir) => {
    check(dir);
    writeFileSync(path.join(dir, 'src', 'a.rs'), 'fn a() { changed() }\n');
    assert.equal(check(dir).ran, true, 'edited');
    writeFileSync(path.join(dir, 'src', 'b.rs'), 'fn b() {}\n');
    execFileSync('git', ['add', 'src/b.rs'], { cwd: dir });
    assert.equal(check(dir).ran, true, 'added');
    execFileSync('git', ['rm', '-qf', 'src/b.rs'], { cwd: dir });
    assert.equal(check(dir).ran, true, 'removed');
    assert.equal(check(dir).ran, false);
  }));

test('a failing check fails and keeps the old stamp, so it runs again', () =>
  inRepository((dir) => {
    check(dir);
    const stamp = readFileSync(path.join(dir, '.ci', 'stamps', 'check'), 'utf8');
    writeFileSync(path.join(dir, 'src', 'a.rs'), 'fn a() { broken }\n');
    const failed = check(dir, 'touch ran; exit 3');
    assert.deepEqual([failed.ran, failed.status], [true, 3]);
    assert.equal(readFileSync(path.join(dir, '.ci', 'stamps', 'check'), 'utf8'), stamp);
    assert.equal(check(dir).ran, true);
  }));
