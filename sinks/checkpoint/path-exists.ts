import { stat } from 'node:fs/promises';

/** Whether `path` exists (any kind of entry); `false` on any error of `stat`. Used by the checkpoint writers and readers. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
