// One process at a time per embedded (PGlite) data directory: two would corrupt it.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { StoreError } from '../errors.ts';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates `lockPath` holding our pid; a lock left by a dead process is taken over. Returns the release function. */
export function acquireDirLock(lockPath: string, what: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockPath, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return () => rmSync(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
      throw new StoreError('STORE_LOCKED', `${what} is in use by process ${owner} (lock file ${lockPath})`);
    }
    rmSync(lockPath, { force: true });
  }
  throw new StoreError('STORE_LOCKED', `${what} could not be locked (lock file ${lockPath})`);
}
