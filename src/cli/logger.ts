import type { Logger } from '../domain/context.js';

/** Logger on stderr. Progress lines only when stderr is a TTY; --quiet keeps only warnings. */
export function stderrLogger(options: { quiet: boolean; isTTY?: boolean }): Logger {
  const tty = options.isTTY ?? Boolean(process.stderr.isTTY);
  let progressShown = false;
  const clear = (): void => {
    if (progressShown) {
      process.stderr.write('\r\x1b[2K');
      progressShown = false;
    }
  };
  return {
    info(message) {
      if (options.quiet) return;
      clear();
      process.stderr.write(`${message}\n`);
    },
    warn(message) {
      clear();
      process.stderr.write(`warning: ${message}\n`);
    },
    progress(message) {
      if (options.quiet || !tty) return;
      process.stderr.write(`\r\x1b[2K${message}`);
      progressShown = true;
    },
    progressDone() {
      clear();
    },
  };
}
