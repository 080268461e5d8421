// The development tarball (TIM_DEV_TARBALL=1 npm pack, with prepack), for tests that install it.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');

/** Packs the repository into `destination`; returns the tarball's path. */
export function packDevTarball(destination) {
  const [report] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', destination], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, TIM_DEV_TARBALL: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  return path.join(destination, report.filename);
}
