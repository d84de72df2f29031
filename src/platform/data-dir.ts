import { chmodSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Another live process holds DATA_DIR: the embedded database must have one owner (issue 11, item 14). */
export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `DATA_DIR ${dir} is in use by process ${pid}: the embedded database has one owner at a time. Stop that process first (or, for the CLI, run the command while the server is stopped).`,
    );
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else; only ESRCH means it is gone.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holderOf(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** The pid of the live process other than this one that holds DATA_DIR's lock, or null (free, or a dead holder's). */
export function lockHolder(dir: string): number | null {
  const holder = holderOf(join(dir, 'telecare.lock'));
  return holder !== null && holder !== process.pid && alive(holder) ? holder : null;
}

/**
 * Takes the exclusive lock on DATA_DIR (`DATA_DIR/telecare.lock`, holding the owner's pid) or throws
 * DataDirLockedError naming the live holder. The lock file appears complete or not at all: the pid is
 * written to a private temporary file first, then hard-linked into place, which fails if the lock
 * exists. A lock whose process is dead (a crash, kill -9) is stale and taken over. Returns the release
 * function, which is also run when the process exits.
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'telecare.lock');
  const tmp = join(dir, `.telecare.lock.${process.pid}`);
  writeFileSync(tmp, `${process.pid}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, file);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const holder = holderOf(file);
        // Our own pid in a lock we did not take: a previous life of this process (a container restarts as pid 1).
        if (holder !== null && holder !== process.pid && alive(holder)) throw new DataDirLockedError(dir, holder);
        if (attempt >= 3) throw new DataDirLockedError(dir, holder ?? 0);
        rmSync(file, { force: true });
      }
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    if (holderOf(file) === process.pid) rmSync(file, { force: true });
  };
  process.on('exit', release);
  return release;
}

/**
 * Makes everything under `dir` private to the owner: folders 0700, files 0600. The process umask
 * (0077, set by the server and the CLI) covers what Telecare itself writes, but the embedded engine
 * chmods its files to 0666 whatever the umask, so its folder is tightened after it opens and when it
 * closes; the 0700 folders keep anything it creates in between out of other users' reach.
 * Returns how many entries had to change.
 */
export function makePrivate(dir: string): number {
  let changed = 0;
  const visit = (path: string) => {
    let st;
    try {
      st = lstatSync(path);
    } catch {
      return; // removed meanwhile (a temporary file of the database)
    }
    if (st.isSymbolicLink()) return;
    const want = st.isDirectory() ? 0o700 : 0o600;
    if ((st.mode & 0o777) !== want) {
      try {
        chmodSync(path, want);
        changed++;
      } catch {
        // removed meanwhile
      }
    }
    if (st.isDirectory()) {
      let names: string[] = [];
      try {
        names = readdirSync(path);
      } catch {
        return;
      }
      for (const name of names) visit(join(path, name));
    }
  };
  visit(dir);
  return changed;
}
