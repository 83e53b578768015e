// @edgepass/example-vocabulary-service: start it in-process (`edgepass dev` does) or alone (src/main.ts).
import type { AddressInfo } from 'node:net';
import { buildVocabularyApp, type VocabularyAppOptions } from './app.ts';

export {
  buildVocabularyApp,
  DEFAULT_LIMIT,
  MAX_LIMIT,
  MAX_TRANSCRIPT_BYTES,
  type PassportConfig,
  SERVICE_NAME,
  type StreamEvent,
  type VocabularyAppOptions,
} from './app.ts';
export { VOCABULARY_ERRORS, type VocabularyErrorCode } from './errors.ts';
export type { Collocation, VocabularyEntry, VocabularyTotals } from './vocabulary.ts';

export interface StartOptions extends VocabularyAppOptions {
  /** default 127.0.0.1 */
  host?: string;
  /** default 0 (any free port) */
  port?: number;
}

export interface RunningService {
  /** base URL, e.g. http://127.0.0.1:4001 */
  url: string;
  close(): Promise<void>;
}

/** Starts the service and resolves once it listens. */
export async function startVocabularyService(options: StartOptions): Promise<RunningService> {
  const app = await buildVocabularyApp(options);
  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  return { url: urlOf(app.server.address() as AddressInfo), close: () => app.close() };
}

function urlOf({ address, family, port }: AddressInfo): string {
  const host = address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '[::1]' : address;
  return `http://${family === 'IPv6' && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}
