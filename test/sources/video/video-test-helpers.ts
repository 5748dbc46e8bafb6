import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

/** Live ffmpeg child processes of this test process (from /proc: ppid and cmdline), zombies included. */
export function ffmpegChildren(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (comm.includes('ffmpeg')) out.push(Number(name));
    } catch {
      // the process ended while we read
    }
  }
  return out;
}

/** Waits (at most ~10 s) until this process has no ffmpeg child: a killed process is reaped asynchronously. */
export async function untilNoFfmpegChildren(): Promise<void> {
  for (let i = 0; i < 1000 && ffmpegChildren().length > 0; i++) await new Promise((r) => setTimeout(r, 10));
}

/** The temp folders of this process's video decoders. */
export function videoTempDirs(): string[] {
  return readdirSync(tmpdir()).filter((d) => d.startsWith(`ndaflow-video-${process.pid}-`));
}
