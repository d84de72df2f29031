// sharp (libvips) for the two modules that re-encode images (attachments, the clinic's logo), loaded when
// the first image arrives rather than at start-up: its import costs ~0.4 s and ~25 MiB that a server which
// never receives an image should not pay (docs/decisions.md, "Start-up time and memory").
import type Sharp from 'sharp';

let loading: Promise<typeof Sharp> | null = null;

/** The sharp module, imported once. */
export function loadSharp(): Promise<typeof Sharp> {
  loading ??= import('sharp').then(({ default: sharp }) => {
    // Files are read once: libvips' operation cache would only keep decoded patient photos in memory.
    sharp.cache(false);
    return sharp;
  });
  return loading;
}
