// A reader that stops early — `mxray check … | head -1`, a pager quit after the first screen — closes
// the pipe mxray writes to, and the next write fails with EPIPE. Node raises that as an 'error' event
// of process.stdout with no listener: a stack trace and exit code 1, where a Monitoring Plugin must
// answer with its status code and never a stack. Once the reader is gone, what is still to be
// written has nowhere to go: it is dropped, and the command runs to its end (a store is closed, a
// file finished) and keeps its own exit code. In a module of its own, imported by main.ts before it
// knows the command: every command writes through the same two streams.

/** the errors of a write to a reader that has gone: EPIPE, and any write after it (the stream is destroyed then) */
const readerGone = new Set(['EPIPE', 'ERR_STREAM_DESTROYED']);

const guarded = new WeakSet<NodeJS.WritableStream>();

/** from now on, a closed stdout or stderr ends their output quietly; other write errors stay fatal */
export function quietWhenOutputCloses(streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    if (guarded.has(stream)) continue;
    guarded.add(stream);
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (readerGone.has(e.code ?? '')) return;
      // what Node does with an error nobody listens for
      throw e;
    });
  }
}
