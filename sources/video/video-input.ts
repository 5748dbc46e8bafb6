/** Containers ffmpeg reads front to back, so their bytes can go through a pipe. */
const STREAMABLE = new Set(['mkv', 'webm', 'avi']);
/** ISO base media containers: readable from a pipe only when the index (`moov`) comes before the media data (`mdat`). */
const ISO_BMFF = new Set(['mp4', 'mov', 'm4v']);

/**
 * How a video's bytes should reach ffmpeg: `'stdin'` when its container can be read from a pipe
 * (mkv, webm, avi; an mp4/mov whose `moov` box comes before its `mdat`, as `-movflags +faststart`
 * writes it, or a fragmented one), `'file'` otherwise: an mp4/mov with its index at the end (ffmpeg
 * must seek to it), a file whose boxes cannot be read, or an unknown extension. Reads only the
 * top-level box headers (a few bytes per box); does not check that the rest is valid.
 *
 * Checked on the opencv-doc AVIs (mpeg4, cinepak, msmpeg4) and the test containers: the frames
 * decoded through stdin are byte-identical to those decoded from the file.
 */
export function videoInput(bytes: Uint8Array, extension: string): 'stdin' | 'file' {
  const ext = extension.toLowerCase();
  if (STREAMABLE.has(ext)) return 'stdin';
  if (!ISO_BMFF.has(ext)) return 'file';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  while (offset + 8 <= bytes.length) {
    let size = view.getUint32(offset);
    const type = String.fromCharCode(
      bytes[offset + 4] as number,
      bytes[offset + 5] as number,
      bytes[offset + 6] as number,
      bytes[offset + 7] as number,
    );
    if (type === 'moov' || type === 'moof') return 'stdin';
    if (type === 'mdat') return 'file';
    if (size === 1) {
      if (offset + 16 > bytes.length) return 'file';
      size = Number(view.getBigUint64(offset + 8));
    } else if (size === 0) return 'file'; // the box runs to the end: no moov before it
    if (size < 8 || !/^[\x20-\x7e]{4}$/.test(type)) return 'file';
    offset += size;
  }
  return 'file';
}
