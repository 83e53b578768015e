// The few logger methods the service uses; a pino logger (e.g. a child of `edgepass dev`'s) fits as is.
export interface Logger {
  info(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** One JSON object per line, pino-style (`level` 30 info, 50 error, `time` in ms, `msg`). */
export function jsonLinesLogger(write: (line: string) => void, bindings: Record<string, unknown> = {}): Logger {
  const log = (level: number) => (fields: Record<string, unknown>, msg: string) => {
    write(`${JSON.stringify({ level, time: Date.now(), ...bindings, ...fields, msg }, errorsAsObjects)}\n`);
  };
  return { info: log(30), error: log(50) };
}

export const silentLogger: Logger = { info() {}, error() {} };

function errorsAsObjects(_key: string, value: unknown): unknown {
  return value instanceof Error ? { type: value.name, message: value.message, stack: value.stack } : value;
}
