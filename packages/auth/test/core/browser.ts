// A minimal "browser" for driving the auth service's pages over real HTTP: fetch with a cookie jar that honours
// `Path` like a real browser does (RFC 6265 path-match; default: the request's directory), manual redirects (so
// a test can stop at the client's redirect_uri), and form extraction from HTML.

export interface PageResult {
  status: number;
  url: string;
  headers: Headers;
  body: string;
}

export interface Form {
  action: string;
  fields: Record<string, string>;
}

/** RFC 6265 §5.1.4: does a request path fall under a cookie's path? */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/** RFC 6265 §5.1.4: the default path of a cookie set without a Path attribute. */
function defaultPath(requestPath: string): string {
  const slash = requestPath.lastIndexOf('/');
  return slash <= 0 ? '/' : requestPath.slice(0, slash);
}

export class Browser {
  readonly cookies = new Map<string, string>();
  readonly #paths = new Map<string, string>();

  /** The Cookie header for a request to `url` (every cookie when no url is given). */
  cookieHeader(url?: string): string {
    const path = url === undefined ? undefined : new URL(url).pathname;
    return [...this.cookies]
      .filter(([name]) => path === undefined || pathMatches(path, this.#paths.get(name) ?? '/'))
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
  }

  #store(url: string, response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a));
      const path = attrs.map((a) => /^\s*path=(\S*)\s*$/i.exec(a)?.[1]).find((p) => p?.startsWith('/'));
      if (expired || value === '') {
        this.cookies.delete(name);
        this.#paths.delete(name);
      } else {
        this.cookies.set(name, value);
        this.#paths.set(name, path ?? defaultPath(new URL(url).pathname));
      }
    }
  }

  /** One request, no redirect following. */
  async request(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<PageResult> {
    const headers: Record<string, string> = { ...init.headers };
    const cookie = this.cookieHeader(url);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(url, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    });
    this.#store(url, response);
    return { status: response.status, url, headers: response.headers, body: await response.text() };
  }

  /**
   * Follows redirects from `url` until a response is not a redirect, or until the next Location starts with
   * `stopAt` (returned as a 303 result whose `url` is that Location).
   */
  async follow(url: string, init: { form?: Record<string, string> } = {}, stopAt?: string): Promise<PageResult> {
    let result = await this.request(url, init);
    for (let hops = 0; hops < 20; hops++) {
      const location = result.headers.get('location');
      if (result.status < 300 || result.status >= 400 || !location) return result;
      const next = new URL(location, result.url).href;
      if (stopAt && next.startsWith(stopAt)) return { ...result, url: next };
      result = await this.request(next);
    }
    throw new Error('too many redirects');
  }
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m?.[1] === undefined ? undefined : decodeEntities(m[1]);
}

export function decodeEntities(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The forms of a page (action + hidden/prefilled input values). */
export function forms(page: PageResult): Form[] {
  const out: Form[] = [];
  for (const m of page.body.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const action = new URL(attr(m[1] ?? '', 'action') ?? page.url, page.url).href;
    const fields: Record<string, string> = {};
    for (const input of (m[2] ?? '').matchAll(/<input\b[^>]*>/g)) {
      const name = attr(input[0], 'name');
      if (name) fields[name] = attr(input[0], 'value') ?? '';
    }
    out.push({ action, fields });
  }
  return out;
}

export function formTo(page: PageResult, pathEnd: string): Form {
  const form = forms(page).find((f) => new URL(f.action).pathname.endsWith(pathEnd));
  if (!form)
    throw new Error(
      `no form posting to …${pathEnd} on ${page.url} (status ${page.status}): ${page.body.slice(0, 400)}`,
    );
  return form;
}
