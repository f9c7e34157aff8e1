/**
 * Progress on stderr: a redrawn bar on a TTY, sparse plain lines otherwise (CI logs, pipes), nothing
 * with --quiet. Results go to stdout, so `--json` output stays clean.
 */
export interface Progress {
  update(done: number, note?: string): void;
  done(note?: string): void;
}

export function progress(
  label: string,
  total: number,
  opts: { quiet?: boolean; stream?: NodeJS.WriteStream } = {},
): Progress {
  const stream = opts.stream ?? process.stderr;
  const start = Date.now();
  const tty = Boolean(stream.isTTY);
  let lastPlain = -1;
  const render = (done: number, note = "") => {
    const frac = total > 0 ? Math.min(done / total, 1) : 0;
    const secs = (Date.now() - start) / 1000;
    const eta = done > 0 ? (secs / done) * (total - done) : 0;
    if (tty) {
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - 40));
      const filled = Math.round(frac * width);
      const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
      stream.write(
        `\r\x1b[2K${label} ${bar} ${done}/${total} ${secs.toFixed(1)}s eta ${eta.toFixed(0)}s ${note}`,
      );
    } else {
      const step = Math.floor(frac * 10);
      if (step !== lastPlain || done === total) {
        lastPlain = step;
        stream.write(`${label}: ${done}/${total} (${secs.toFixed(1)}s)${note ? ` ${note}` : ""}\n`);
      }
    }
  };
  return {
    update(done, note) {
      if (!opts.quiet) render(done, note);
    },
    done(note) {
      if (opts.quiet) return;
      if (tty)
        stream.write(
          `\r\x1b[2K${label}: ${total}/${total} in ${((Date.now() - start) / 1000).toFixed(1)}s${note ? ` ${note}` : ""}\n`,
        );
      else if (lastPlain !== 10) render(total, note);
    },
  };
}
