// largeBlocksFromMmap (src/os/libc.ts): after it, glibc serves a large block by mmap even when a
// larger one was freed before (which raises its own threshold). Watched through mallinfo2's
// bytes in mmap'd blocks, in a process of its own (the test runner's allocations stay apart).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const libcModule = fileURLToPath(new URL('../src/os/libc.js', import.meta.url));

/** Bytes glibc holds in mmap'd blocks after a 1 MiB malloc, less before, in a fresh process. */
function mmapGrowth(tuned: boolean): number {
  const script = `
    import koffi from 'koffi';
    import { largeBlocksFromMmap } from ${JSON.stringify(libcModule)};
    const so = koffi.load('libc.so.6');
    koffi.struct('t_mallinfo2', { arena: 'size_t', ordblks: 'size_t', smblks: 'size_t', hblks: 'size_t', hblkhd: 'size_t', usmblks: 'size_t', fsmblks: 'size_t', uordblks: 'size_t', fordblks: 'size_t', keepcost: 'size_t' });
    const mallinfo2 = so.func('t_mallinfo2 mallinfo2(void)');
    const malloc = so.func('void *malloc(size_t)');
    const free = so.func('void free(void *)');
    // An 8 MiB block freed: glibc's threshold for mmap rises to its size.
    free(malloc(8 << 20));
    if (${tuned} && !largeBlocksFromMmap()) throw new Error('mallopt refused');
    const before = Number(mallinfo2().hblkhd);
    const p = malloc(1 << 20);
    process.stdout.write(String(Number(mallinfo2().hblkhd) - before));
    free(p);
  `;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8', timeout: 20_000 }));
}

test('after largeBlocksFromMmap a 1 MiB block is mmap\'d; without it, after a larger one was freed, it is not', (t) => {
  t.true(mmapGrowth(true) >= 1 << 20);
  t.is(mmapGrowth(false), 0);
});
