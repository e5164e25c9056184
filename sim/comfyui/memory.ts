/**
 * The simulated machine's memory. A prompt ComfyUI accepts can still ask for more than a real machine has;
 * there the stand-in fails the way torch does instead of rendering for hours.
 */
import { PyException } from './pyops.ts';

/** A 24 GiB GPU samples at most one 4096×4096 image (or the same number of pixels over a batch). */
const GPU_SAMPLING_PIXELS = 4096 * 4096;
const HOST_RAM_BYTES = 64 * 1024 ** 3;

export const OOM_MESSAGE = 'CUDA out of memory. Tried to allocate 2.50 GiB. GPU 0 has a total capacity of 23.64 GiB of which 1.12 GiB is free. ' +
  'Of the allocated memory 20.91 GiB is allocated by PyTorch, and 1.02 GiB is reserved by PyTorch but unallocated.';

/** `torch.zeros(...)` on the CPU (ComfyUI's intermediate device): float32 elements. */
export function allocateOnHost(elements: number): void {
  const bytes = elements * 4;
  if (bytes > HOST_RAM_BYTES) {
    throw new PyException('RuntimeError', `[enforce fail at alloc_cpu.cpp:116] data. DefaultCPUAllocator: not enough memory: you tried to allocate ${bytes} bytes.`);
  }
}

/** Sampling `pixels` image pixels (batch × width × height) on the GPU. */
export function sampleOnGpu(pixels: number, injectedOom: boolean): void {
  if (injectedOom || pixels > GPU_SAMPLING_PIXELS) throw new PyException('torch.OutOfMemoryError', OOM_MESSAGE);
}

/** Python 3 `round(x)` to an int: half to even; NaN cannot become an int. */
export function pyRoundInt(x: number): number {
  if (Number.isNaN(x)) throw new PyException('ValueError', 'cannot convert float NaN to integer');
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
