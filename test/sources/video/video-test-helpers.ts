import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

interface Proc {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  /** True when its environment names one of this process's video temp folders (the shell launcher sets it). */
  readonly marked: boolean;
}

/** Every process on the machine (from /proc), zombies included. */
function processes(): Proc[] {
  const marker = `NDAFLOW_FIFO_DIR=${join(tmpdir(), `ndaflow-video-${process.pid}-`)}`;
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      let marked = false;
      try {
        marked = readFileSync(`/proc/${name}/environ`, 'latin1').includes(marker);
      } catch {
        // a zombie, or not ours
      }
      out.push({ pid: Number(name), ppid, comm, marked });
    } catch {
      // the process ended while we read
    }
  }
  return out;
}

/** The processes this test process started, directly or through the launcher (descendants, or marked by the launcher: they may have been re-parented). */
function ours(): Proc[] {
  const all = processes();
  const parent = new Map(all.map((p) => [p.pid, p.ppid]));
  const descends = (pid: number): boolean => {
    for (let p = parent.get(pid), depth = 0; p !== undefined && depth < 64; p = parent.get(p), depth++)
      if (p === process.pid) return true;
    return false;
  };
  return all.filter((p) => p.pid !== process.pid && (p.marked || descends(p.pid)));
}

/** Live ffmpeg processes this test process started (spawned directly or through the shell launcher), zombies included. */
export function ffmpegChildren(): number[] {
  return ours()
    .filter((p) => p.comm.includes('ffmpeg'))
    .map((p) => p.pid);
}

/** Live processes of the shell launcher this test process started (the `/bin/sh` helper and its per-process subshells). */
export function launcherProcesses(): number[] {
  return ours()
    .filter((p) => !p.comm.includes('ffmpeg'))
    .map((p) => p.pid);
}

/** Waits (at most ~10 s) until this process has no ffmpeg or launcher process left: a killed process is reaped asynchronously. */
export async function untilNoFfmpegChildren(): Promise<void> {
  for (let i = 0; i < 1000 && ffmpegChildren().length + launcherProcesses().length > 0; i++)
    await new Promise((r) => setTimeout(r, 10));
}

/** The temp folders of this process's video decoders. */
export function videoTempDirs(): string[] {
  return readdirSync(tmpdir()).filter((d) => d.startsWith(`ndaflow-video-${process.pid}-`));
}
