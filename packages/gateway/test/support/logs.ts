// Captures a pino logger's output as parsed lines, for assertions on reasons and on what never appears.
import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';

export interface LogLine {
  level: number;
  msg?: string;
  reason?: string;
  [key: string]: unknown;
}

export class LogCapture {
  readonly lines: LogLine[] = [];
  readonly raw: string[] = [];
  readonly logger: Logger;

  constructor(level: pino.LevelWithSilent = 'debug') {
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (line.trim() === '') continue;
          this.raw.push(line);
          this.lines.push(JSON.parse(line) as LogLine);
        }
        done();
      },
    });
    this.logger = pino({ level }, sink);
  }

  /** Every line whose fields include all of `match`. */
  find(match: Record<string, unknown>): LogLine[] {
    return this.lines.filter((line) => Object.entries(match).every(([k, v]) => line[k] === v));
  }

  /** true when `secret` appears anywhere in the captured output. */
  contains(secret: string): boolean {
    return this.raw.some((line) => line.includes(secret));
  }
}
