// Runs a printed `curl ...` command as a user would: through `sh -c` when curl is installed; otherwise the
// command is parsed (the subset of curl the banner uses; anything else is an error, never ignored) and
// replayed with fetch, printing what curl would print for those options. Under CI (the CI variable set, as
// .ci/run does) a missing curl is an error instead: there the commands must run exactly as printed.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';

export function hasCurl(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v curl'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `CI` set to anything but "", "0" or "false". */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI?.trim().toLowerCase();
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

/** Whether to run commands with the real curl: yes when it is installed; else the fetch replay, except under CI. */
export function useRealCurl(env: NodeJS.ProcessEnv = process.env, installed: boolean = hasCurl()): boolean {
  if (installed) return true;
  if (isCi(env))
    throw new Error(
      'curl is not installed and CI is set: install it (apt-get install curl; .ci/run does) — no fallback',
    );
  return false;
}

/** POSIX shell words: '…' literal, "…" with \" and \\, backslash escapes outside quotes. No expansions. */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command.charAt(i);
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end === -1) throw new Error('unterminated single quote');
      word = (word ?? '') + command.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let text = '';
      for (i++; i < command.length && command.charAt(i) !== '"'; i++) {
        const ch = command.charAt(i);
        text += ch === '\\' && /["\\$`]/.test(command.charAt(i + 1)) ? command.charAt(++i) : ch;
      }
      if (i >= command.length) throw new Error('unterminated double quote');
      word = (word ?? '') + text;
    } else if (c === '\\') {
      word = (word ?? '') + command.charAt(++i);
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

export interface CurlRequest {
  method: string;
  urls: string[];
  headers: Record<string, string>;
  body: string | undefined;
  include: boolean;
  output: string | undefined;
  writeOut: string | undefined;
}

/** `http://h/a-[1-3]/b` → three URLs (curl's numeric range globbing). */
export function expandGlob(url: string): string[] {
  const m = /\[(\d+)-(\d+)\]/.exec(url);
  if (!m?.[1] || !m[2]) return [url];
  const out: string[] = [];
  for (let n = Number(m[1]); n <= Number(m[2]); n++) out.push(...expandGlob(url.replace(m[0], String(n))));
  return out;
}

export function parseCurl(command: string): CurlRequest {
  const [program, ...args] = shellWords(command);
  if (program !== 'curl') throw new Error(`not a curl command: ${command.slice(0, 40)}`);
  const request: CurlRequest = {
    method: 'GET',
    urls: [],
    headers: {},
    body: undefined,
    include: false,
    output: undefined,
    writeOut: undefined,
  };
  const value = (i: number) => {
    const v = args[i];
    if (v === undefined) throw new Error(`curl option ${args[i - 1]} needs a value`);
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (/^-[sSNi]+$/.test(arg)) {
      if (arg.includes('i')) request.include = true;
    } else if (arg === '-H') {
      const header = value(++i);
      const colon = header.indexOf(':');
      request.headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
    } else if (arg === '-d') {
      request.body = value(++i);
      request.method = 'POST';
      request.headers['content-type'] ??= 'application/x-www-form-urlencoded';
    } else if (arg === '-X') {
      request.method = value(++i);
    } else if (arg === '-o') {
      request.output = value(++i);
    } else if (arg === '-w') {
      request.writeOut = value(++i);
    } else if (/^https?:\/\//.test(arg)) {
      request.urls.push(...expandGlob(arg));
    } else {
      throw new Error(`curl option not supported by the fetch fallback: ${arg}`);
    }
  }
  if (request.urls.length === 0) throw new Error('curl command without a URL');
  return request;
}

async function replay(request: CurlRequest): Promise<string> {
  let out = '';
  for (const url of request.urls) {
    const response = await fetch(url, { method: request.method, headers: request.headers, body: request.body });
    const body = await response.text();
    let shown = '';
    if (request.include) {
      shown += `HTTP/1.1 ${response.status} ${response.statusText}\r\n`;
      response.headers.forEach((v, name) => {
        shown += `${name}: ${v}\r\n`;
      });
      shown += '\r\n';
    }
    shown += body;
    if (request.output !== '/dev/null') out += shown;
    if (request.writeOut !== undefined)
      out += request.writeOut.replaceAll('%{http_code}', String(response.status)).replaceAll('\\n', '\n');
  }
  return out;
}

export interface CurlRun {
  stdout: string;
  stderr: string;
  code: number | null;
  via: 'curl' | 'fetch';
}

export async function runCurl(command: string, useCurl = useRealCurl()): Promise<CurlRun> {
  if (!useCurl) return { stdout: await replay(parseCurl(command)), stderr: '', code: 0, via: 'fetch' };
  const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const [code] = (await once(child, 'close')) as [number | null];
  return { stdout, stderr, code, via: 'curl' };
}

/** A `curl -i` output: status, lower-case headers and body (the first response). */
export function httpResponse(text: string): { status: number; headers: Record<string, string>; body: string } {
  const start = text.indexOf('HTTP/');
  const split = text.indexOf('\r\n\r\n', start);
  if (start === -1 || split === -1) throw new Error(`not an HTTP response: ${text.slice(0, 200)}`);
  const [statusLine = '', ...lines] = text.slice(start, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: text.slice(split + 4) };
}
