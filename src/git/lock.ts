/**
 * A readers-writer lock for one cache directory: reads of objects run side by side, a
 * fetch (which writes packs and refs) runs alone, so no reader ever sees a half-written
 * pack index. Writers queue in order; a waiting writer holds back new readers.
 */
export class ReadWriteLock {
  private readers = 0;
  private writing = false;
  private readonly waiting: { write: boolean; wake: () => void }[] = [];

  async read<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire(false);
    try {
      return await fn();
    } finally {
      this.readers -= 1;
      this.drain();
    }
  }

  async write<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire(true);
    try {
      return await fn();
    } finally {
      this.writing = false;
      this.drain();
    }
  }

  private acquire(write: boolean): Promise<void> {
    if (this.waiting.length === 0 && this.canEnter(write)) {
      this.enter(write);
      return Promise.resolve();
    }
    return new Promise((wake) => this.waiting.push({ write, wake }));
  }

  private canEnter(write: boolean): boolean {
    return write ? !this.writing && this.readers === 0 : !this.writing;
  }

  private enter(write: boolean): void {
    if (write) this.writing = true;
    else this.readers += 1;
  }

  private drain(): void {
    while (this.waiting.length > 0 && this.canEnter(this.waiting[0]!.write)) {
      const next = this.waiting.shift()!;
      this.enter(next.write);
      next.wake();
    }
  }
}
