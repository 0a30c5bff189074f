/**
 * The resident set of a bench child taken apart: V8's heap by space, array buffers, pages mapped
 * from files, and the rest (bench/pipeline-campaign.ts prints it).
 */
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

/** A resident set taken apart (MB): V8's heap by space, array buffers, and the rest of the process. */
export interface RssParts {
  rss: number;
  /** The young generation (both semi-spaces), as resident. */
  newSpace: number;
  oldSpace: number;
  /** Code, large objects and the other spaces of the V8 heap. */
  otherHeap: number;
  /** Backing stores of ArrayBuffers (Buffers, typed arrays: the duplicate set's pages among them). */
  arrayBuffers: number;
  /** Resident pages mapped from files (the node binary, shared libraries); 0 where /proc is not there. */
  fileBacked: number;
  /** The rest: memory that node, V8 and the libraries allocate outside the heap (malloc), and freed memory not given back. */
  other: number;
}

function fileBackedBytes(): number {
  try {
    const m = /^RssFile:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The parts of the resident set now, MB. */
export function rssParts(): RssParts {
  const rss = process.memoryUsage.rss();
  let newSpace = 0;
  let oldSpace = 0;
  let otherHeap = 0;
  for (const s of getHeapSpaceStatistics()) {
    if (s.space_name === 'new_space') newSpace += s.physical_space_size;
    else if (s.space_name === 'old_space') oldSpace += s.physical_space_size;
    else otherHeap += s.physical_space_size;
  }
  const arrayBuffers = process.memoryUsage().arrayBuffers;
  const fileBacked = fileBackedBytes();
  const mb = (b: number) => b / 1e6;
  return {
    rss: mb(rss),
    newSpace: mb(newSpace),
    oldSpace: mb(oldSpace),
    otherHeap: mb(otherHeap),
    arrayBuffers: mb(arrayBuffers),
    fileBacked: mb(fileBacked),
    other: mb(rss - newSpace - oldSpace - otherHeap - arrayBuffers - fileBacked),
  };
}
