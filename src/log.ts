/**
 * Structured logging for every layer: one line per event, as text (`ts level msg k=v …`) or
 * JSON (`{"ts":…,"level":…,"msg":…,…}`), written to stderr. Levels follow T4's flag
 * (`trace`, `debug`, `info`, `warn`, `error`). Secrets never go in fields: callers pass names,
 * keys and counts, never passwords, tokens or credentials.
 *
 * @module
 */

/** Log levels, least to most severe. */
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";
/** Output formats. */
export type LogFormat = "text" | "json";

const RANK: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };
const encoder = new TextEncoder();

/** Extra fields of a log line. */
export type LogFields = Record<string, string | number | boolean | bigint | undefined | null>;

/** Where a logger writes; tests capture lines with their own. */
export type LogSink = (line: string) => void;

function stderrSink(line: string): void {
  try {
    Deno.stderr.writeSync(encoder.encode(line + "\n"));
  } catch { /* stderr closed: nothing to do */ }
}

function quote(v: string): string {
  return /^[\w.:/@+-]*$/.test(v) && v.length > 0 ? v : JSON.stringify(v);
}

/** A logger with a level, a format and bound fields. */
export class Logger {
  readonly #level: number;
  readonly #format: LogFormat;
  readonly #sink: LogSink;
  readonly #fields: LogFields;

  /** Creates a logger; `sink` defaults to stderr. */
  constructor(
    options: { level?: LogLevel; format?: LogFormat; sink?: LogSink; fields?: LogFields } = {},
  ) {
    this.#level = RANK[options.level ?? "info"];
    this.#format = options.format ?? "text";
    this.#sink = options.sink ?? stderrSink;
    this.#fields = options.fields ?? {};
  }

  /** A logger that adds `fields` to every line. */
  with(fields: LogFields): Logger {
    const level = (Object.keys(RANK) as LogLevel[]).find((l) => RANK[l] === this.#level)!;
    return new Logger({
      level,
      format: this.#format,
      sink: this.#sink,
      fields: { ...this.#fields, ...fields },
    });
  }

  /** Whether lines at `level` are written. */
  enabled(level: LogLevel): boolean {
    return RANK[level] >= this.#level;
  }

  /** Logs at trace level. */
  trace(msg: string, fields?: LogFields): void {
    this.#log("trace", msg, fields);
  }
  /** Logs at debug level. */
  debug(msg: string, fields?: LogFields): void {
    this.#log("debug", msg, fields);
  }
  /** Logs at info level. */
  info(msg: string, fields?: LogFields): void {
    this.#log("info", msg, fields);
  }
  /** Logs at warn level. */
  warn(msg: string, fields?: LogFields): void {
    this.#log("warn", msg, fields);
  }
  /** Logs at error level. */
  error(msg: string, fields?: LogFields): void {
    this.#log("error", msg, fields);
  }

  #log(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    if (RANK[level] < this.#level) return;
    const all: LogFields = { ...this.#fields, ...fields };
    const ts = new Date().toISOString();
    if (this.#format === "json") {
      const obj: Record<string, unknown> = { ts, level, msg };
      for (const [k, v] of Object.entries(all)) {
        if (v !== undefined) obj[k] = typeof v === "bigint" ? v.toString() : v;
      }
      this.#sink(JSON.stringify(obj));
      return;
    }
    let line = `${ts} ${level.toUpperCase().padEnd(5)} ${msg}`;
    for (const [k, v] of Object.entries(all)) {
      if (v !== undefined) line += ` ${k}=${quote(String(v))}`;
    }
    this.#sink(line);
  }
}

/** A logger that writes nothing (library default). */
export const silentLogger: Logger = new Logger({ sink: () => {}, level: "error" });

/** The message of an unknown error, for log fields. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A gate for progress lines of long operations: the returned function answers true at most
 * once per `intervalMs` (never on the first call), so a loop can log "still working" without
 * flooding.
 */
export function progressGate(intervalMs = 2000): () => boolean {
  let next = performance.now() + intervalMs;
  return () => {
    const now = performance.now();
    if (now < next) return false;
    next = now + intervalMs;
    return true;
  };
}
