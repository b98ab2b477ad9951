/**
 * What `t4 migrate` tells its user while it works: the {@linkcode MigrateReporter} interface the
 * migration calls, and the terminal implementation of it. On a TTY a bar is redrawn in place (at
 * most ten times a second); otherwise a plain line is written every few seconds, so logs of a
 * long migration stay readable. Both show keys done / total, the rate and the ETA.
 *
 * @module
 */

/** A phase of the migration and how far it has got. */
export interface MigrateProgress {
  /** `copy` writes the snapshot, `verify` compares the target against it. */
  phase: "copy" | "verify";
  /** Keys done in this phase. */
  done: number;
  /** Keys in the snapshot (the source's `count` at the snapshot revision). */
  total: number;
}

/** Receives the migration's progress and its report lines. */
export interface MigrateReporter {
  /** Called after every batch; `done === total` ends a phase. */
  progress(p: MigrateProgress): void;
  /** One line of the report (the plan, warnings, the summary). */
  info(line: string): void;
}

/** A {@linkcode MigrateReporter} that draws on a terminal. */
export interface TerminalReporter extends MigrateReporter {
  /** Ends a progress bar that is still open (before an error line is written). */
  end(): void;
}

/** Options of {@linkcode terminalReporter}. */
export interface TerminalReporterOptions {
  /** Whether the output is a terminal (a redrawn bar) or not (a line every `intervalMs`). */
  tty: boolean;
  /** Writes progress text (stderr). */
  writeProgress(text: string): void;
  /** Writes a report line (stdout). */
  writeLine(line: string): void;
  /** Milliseconds between plain progress lines; default 5000. */
  intervalMs?: number;
  /** The clock, in milliseconds; default `performance.now`. */
  now?: () => number;
}

const BAR_WIDTH = 30;
const TTY_REDRAW_MS = 100;

/** `1.5k`-style counts are harder to check by eye than exact ones; keep digits, group them. */
function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** A duration in whole seconds, minutes or hours. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${Math.ceil(seconds % 60)}s`;
  return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
}

/** The progress text of one moment: counts, percentage, rate and ETA. */
export function progressText(p: MigrateProgress, elapsedSeconds: number): string {
  const rate = elapsedSeconds > 0 ? p.done / elapsedSeconds : 0;
  const percent = p.total > 0 ? Math.floor((p.done / p.total) * 100) : 100;
  const eta = p.done >= p.total ? "done" : rate > 0 ? duration((p.total - p.done) / rate) : "?";
  const verb = p.phase === "copy" ? "copied" : "verified";
  return `${verb} ${count(p.done)}/${count(p.total)} keys (${percent}%), ` +
    `${count(Math.round(rate))} keys/s, ETA ${eta}`;
}

/** A reporter for a terminal or a log; see the module doc. */
export function terminalReporter(options: TerminalReporterOptions): TerminalReporter {
  const now = options.now ?? (() => performance.now());
  const interval = options.intervalMs ?? 5000;
  let phase: MigrateProgress["phase"] | undefined;
  let started = 0;
  let lastShown = 0;
  let barOpen = false;
  const endBar = () => {
    if (barOpen) options.writeProgress("\n");
    barOpen = false;
  };
  return {
    progress(p: MigrateProgress): void {
      const t = now();
      if (p.phase !== phase) {
        endBar();
        phase = p.phase;
        started = t;
        lastShown = t;
        if (p.done === 0) return; // the phase starts: nothing to show yet
      }
      const finished = p.done >= p.total;
      const elapsed = (t - started) / 1000;
      if (options.tty) {
        if (!finished && t - lastShown < TTY_REDRAW_MS) return;
        const filled = p.total > 0 ? Math.round((p.done / p.total) * BAR_WIDTH) : BAR_WIDTH;
        const bar = "#".repeat(filled) + ".".repeat(BAR_WIDTH - filled);
        options.writeProgress(`\r\x1b[K[${bar}] ${progressText(p, elapsed)}`);
        barOpen = true;
        if (finished) endBar();
      } else if (finished || t - lastShown >= interval) {
        options.writeProgress(`${progressText(p, elapsed)}\n`);
      } else return;
      lastShown = t;
    },
    info(line: string): void {
      endBar();
      options.writeLine(line);
    },
    end: endBar,
  };
}
