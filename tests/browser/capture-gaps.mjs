// Cutting the silence of underruns out of a capture (woodshed.captureOutput), so what is left is
// what the engine rendered, in order. The worklet marks each frame of a gap with source position
// CAPTURE_GAP; the ring resumes where it paused, so the frames on either side are consecutive.
// Pure, so the node tests check it and installPageHelpers hands its source to the page.

export const CAPTURE_GAP = -2;

/**
 * The capture without its gap frames: {...captured, channels, sourceFrames, sourceFrameAtStart,
 * gapFrames}. `sourceFrameAtStart` becomes the first rendered frame's position (null if none).
 */
export function spliceGaps(captured) {
  const gap = -2;  // CAPTURE_GAP, written out: the page gets this function's source alone
  const kept = [];
  captured.sourceFrames.forEach((source, i) => { if (source !== gap) kept.push(i); });
  const first = kept.length > 0 ? captured.sourceFrames[kept[0]] : -1;
  return {
    ...captured,
    channels: captured.channels.map((channel) => Float32Array.from(kept, (i) => channel[i])),
    sourceFrames: Int32Array.from(kept, (i) => captured.sourceFrames[i]),
    sourceFrameAtStart: first < 0 ? null : first,
    gapFrames: captured.sourceFrames.length - kept.length,
  };
}
