// The local stack's state on disk ($HOOKLAKE_DATA_DIR): the admin credential, the local secret
// key and every webhook live there, so it is the owner's alone.
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The data dir holds the admin credential, the local secret key and every webhook: owner only
 * (0700), also when it already existed with wider modes. A sticky directory (/tmp) is shared by
 * design and is refused rather than chmod-ed.
 */
export function prepareDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if ((statSync(dataDir).mode & 0o1000) !== 0) {
    throw new Error(`HOOKLAKE_DATA_DIR ${dataDir} is a shared (sticky) directory; use a directory of its own, e.g. ${join(dataDir, 'hooklake')}`);
  }
  chmodSync(dataDir, 0o700);
}

/**
 * Writes `path` with mode 0600 whatever the old file's mode, atomically: the text goes to a
 * private temporary file that then replaces it, so a crash mid-write (kill -9) leaves the old
 * stack.json, never a truncated one that would lose the local secret key.
 */
export function writePrivateFile(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  rmSync(temporary, { force: true });
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(temporary, 0o600); // the umask may have taken bits away, never added; be exact
  renameSync(temporary, path);
}
