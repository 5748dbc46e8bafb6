import { readFile } from 'node:fs/promises';

/** A file's text, or null when it does not exist (any other read error is thrown as it is). */
export async function readFileIfPresent(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
