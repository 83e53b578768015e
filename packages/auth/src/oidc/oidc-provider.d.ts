// Minimal typings for the parts of oidc-provider 9 (no bundled types) that edgepass uses. Verified
// against node_modules/oidc-provider/lib; extend here when using more of its API.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export type UnknownObject = Record<string, unknown>;

  /** The Koa context as oidc-provider passes it to middleware and configuration functions. */
  export interface KoaContextWithOIDC {
    req: IncomingMessage;
    res: ServerResponse;
    method: string;
    path: string;
    url: string;
    status: number;
    body: unknown;
    type: string;
    ip: string;
    secure: boolean;
    headers: Record<string, string | string[] | undefined>;
    get(field: string): string;
    set(field: string, value: string): void;
    is(...types: string[]): string | false | null;
    request: { length?: number };
    oidc: OIDCContext;
  }

  export interface OIDCContext {
    readonly route: string;
    readonly params?: Record<string, unknown>;
    readonly client?: Client;
    readonly entities: Record<string, unknown>;
    readonly provider: Provider;
    urlFor(name: string, options?: UnknownObject): string;
  }

  export type Middleware = (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>;

  export interface AdapterPayload extends UnknownObject {
    jti?: string;
    grantId?: string;
    uid?: string;
    userCode?: string;
    consumed?: number;
    exp?: number;
    kind?: string;
  }

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export interface Client {
    clientId: string;
    clientSecret?: string;
    clientName?: string;
    clientAuthMethod: string;
    redirectUris: string[];
    grantTypes: string[];
    scope?: string;
    [key: string]: unknown;
    grantTypeAllowed(type: string): boolean;
    compareClientSecret(actual: string): boolean | Promise<boolean>;
  }

  export interface ClientStatic {
    prototype: Client;
    find(id: string): Promise<Client | undefined>;
  }

  export interface BaseToken {
    jti: string;
    kind: string;
    exp?: number;
    iat?: number;
    clientId?: string;
    accountId?: string;
    grantId?: string;
    scope?: string;
    sessionUid?: string;
    aud?: string | string[];
    extra?: UnknownObject;
    client?: Client;
    resourceServer?: ResourceServer;
    readonly scopes: Set<string>;
  }

  export interface Grant {
    jti: string;
    accountId?: string;
    clientId?: string;
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    getOIDCScope(): string;
    save(): Promise<string>;
    destroy(): Promise<void>;
  }

  export interface GrantStatic {
    new (properties: { accountId: string; clientId: string }): Grant;
    find(id: string): Promise<Grant | undefined>;
  }

  export interface SessionStatic {
    get(ctx: { req: IncomingMessage; res: ServerResponse }): Promise<Session>;
  }

  export interface Session {
    jti: string;
    uid: string;
    accountId?: string;
    authorizations?: Record<string, { grantId?: string; sid?: string }>;
    destroy(): Promise<void>;
  }

  export interface PromptDetail {
    name: string;
    reasons: string[];
    details: {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
      [key: string]: unknown;
    };
  }

  export interface Interaction {
    uid: string;
    jti: string;
    exp: number;
    prompt: PromptDetail;
    params: Record<string, unknown> & { client_id?: string; scope?: string; login_hint?: string };
    session?: { accountId?: string; uid?: string };
    grantId?: string;
    returnTo: string;
    lastSubmission?: UnknownObject;
  }

  export interface ResourceServer {
    scope: string;
    audience?: string;
    accessTokenTTL?: number;
    accessTokenFormat?: 'opaque' | 'jwt';
    jwt?: { sign?: { alg?: string; kid?: string } };
    identifier(): string;
  }

  export interface Account {
    accountId: string;
    claims(
      use: string,
      scope: string,
      claims: UnknownObject,
      rejected: string[],
    ): Promise<UnknownObject> | UnknownObject;
  }

  export type Configuration = UnknownObject;

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    proxy: boolean;
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    use(middleware: Middleware): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
    emit(event: string, ...args: unknown[]): boolean;
    listenerCount(event: string): number;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>;
    interactionResult(
      req: IncomingMessage,
      res: ServerResponse,
      result: UnknownObject,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<string>;
    urlFor(name: string, options?: UnknownObject): string;
    pathFor(name: string): string;
    readonly Client: ClientStatic;
    readonly Grant: GrantStatic;
    readonly Session: SessionStatic;
  }

  export class OIDCProviderError extends Error {
    constructor(status: number, message: string);
    error: string;
    error_description?: string;
    status: number;
    statusCode: number;
    expose: boolean;
  }

  export const errors: {
    OIDCProviderError: typeof OIDCProviderError;
    InvalidGrant: new (description?: string) => OIDCProviderError;
    InvalidRequest: new (description?: string) => OIDCProviderError;
    InvalidTarget: new (description?: string) => OIDCProviderError;
    AccessDenied: new (description?: string) => OIDCProviderError;
    SessionNotFound: new (description?: string) => OIDCProviderError;
    InvalidClientMetadata: new (description?: string) => OIDCProviderError;
  };
}
