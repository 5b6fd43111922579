// Reused input buffers for the models. Allocating a fresh multi-megabyte Float32Array costs more than filling
// it (measured: 12 ms to allocate and fill 444²×3 floats, 4 ms to fill a reused one), so each runtime keeps
// the buffers it has used and hands them out again. acquire/release keeps concurrent calls apart.
export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();

  constructor(private readonly keepPerSize = 4) {}

  acquire(length: number): Float32Array {
    return this.free.get(length)?.pop() ?? new Float32Array(length);
  }

  release(buf: Float32Array): void {
    let list = this.free.get(buf.length);
    if (!list) this.free.set(buf.length, (list = []));
    if (list.length < this.keepPerSize) list.push(buf);
  }
}
