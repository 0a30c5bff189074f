/** A binary min-heap ordered by `at`, ties by insertion order; the push schedule's queue. */
export interface HeapEntry {
  at: number;
}

export class MinHeap<T extends HeapEntry> {
  private readonly items: { value: T; seq: number }[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(value: T): void {
    const items = this.items;
    items.push({ value, seq: this.seq++ });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  peek(): T | undefined {
    return this.items[0]?.value;
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    if (!top) return undefined;
    const last = items.pop() as { value: T; seq: number };
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && this.less(l, m)) m = l;
        if (r < items.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top.value;
  }

  clear(): void {
    this.items.length = 0;
  }

  private less(a: number, b: number): boolean {
    const x = this.items[a] as { value: T; seq: number };
    const y = this.items[b] as { value: T; seq: number };
    return x.value.at < y.value.at || (x.value.at === y.value.at && x.seq < y.seq);
  }

  private swap(a: number, b: number): void {
    const t = this.items[a] as { value: T; seq: number };
    this.items[a] = this.items[b] as { value: T; seq: number };
    this.items[b] = t;
  }
}
