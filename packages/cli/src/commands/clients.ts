// `edgepass clients ...`: OAuth clients in oauth_clients on the store named by the environment. The client
// secret is generated (256 bits), printed once and stored only as its SHA-256.
import { AuthError, type ClientRecord, Clients, type GrantType } from '@edgepass/auth';
import { args, type CommandIo, defineCommand, exactlyOne, flags, printList, UsageError } from '@edgepass/auth/admin';
import type { Command } from '../cli.ts';

const USAGE = `usage: edgepass clients <subcommand> [options]

Manages OAuth clients on the store named by DATABASE_URL (or EDGEPASS_DATA_DIR).

subcommands:
  create --name <name> [--redirect-uri <uri>]... [--post-logout-redirect-uri <uri>]... [--public]
         [--grant authorization_code|refresh_token|client_credentials]... [--scope "<scopes>"]
         [--first-party] [--role <role>]... [--id <client_id>]
      Prints {"client_id", "client_secret"} as JSON on stdout; the secret is shown only once.
      Default grants: authorization_code + refresh_token. --public: no secret (PKCE only).
      --first-party skips the consent page. --role: roles in client_credentials tokens.
  list [--config <file>] [--json]     (--config also lists the static clients of an auth config)
  delete <client_id>`;

const GRANTS: readonly GrantType[] = ['authorization_code', 'refresh_token', 'client_credentials'];

const isGrant = (g: string): g is GrantType => (GRANTS as readonly string[]).includes(g);

export function createClientsCommand(io: CommandIo = {}): Command {
  return defineCommand({
    name: 'clients',
    summary: 'create, list and delete OAuth clients (works on the store directly)',
    usage: USAGE,
    io,
    subcommands: {
      async create(argv, ctx) {
        const values = flags(argv, {
          name: { type: 'string' },
          'redirect-uri': { type: 'string', multiple: true },
          'post-logout-redirect-uri': { type: 'string', multiple: true },
          public: { type: 'boolean', default: false },
          grant: { type: 'string', multiple: true },
          scope: { type: 'string' },
          'first-party': { type: 'boolean', default: false },
          role: { type: 'string', multiple: true },
          id: { type: 'string' },
        });
        if (!values.name) throw new UsageError('--name is required');
        const grants = values.grant ?? (values['redirect-uri'] ? ['authorization_code', 'refresh_token'] : []);
        if (grants.length === 0) throw new UsageError('give --redirect-uri (code flow) or --grant client_credentials');
        const bad = grants.find((g) => !isGrant(g));
        if (bad) throw new UsageError(`--grant: unknown grant type ${bad} (${GRANTS.join(', ')})`);
        const created = await ctx.withStore((store) =>
          new Clients({ store }).create({
            ...(values.id ? { clientId: values.id } : {}),
            name: values.name,
            redirectUris: values['redirect-uri'] ?? [],
            postLogoutRedirectUris: values['post-logout-redirect-uri'] ?? [],
            grantTypes: grants.filter(isGrant),
            public: values.public,
            ...(values.scope ? { scope: values.scope } : {}),
            firstParty: values['first-party'],
            roles: values.role ?? [],
          }),
        );
        ctx.out(
          JSON.stringify({
            client_id: created.client.clientId,
            ...(created.secret ? { client_secret: created.secret } : {}),
          }),
        );
        ctx.err(
          `created ${created.client.public ? 'public' : 'confidential'} client ${created.client.clientId}${created.secret ? '; the secret is shown only once' : ''}`,
        );
      },

      async list(argv, ctx) {
        const values = flags(argv, {
          json: { type: 'boolean', default: false },
          config: { type: 'string' },
        });
        const config = ctx.config(values.config);
        const clients: ClientRecord[] = await ctx.withStore((store) =>
          new Clients({ store, ...(config ? { config, env: ctx.env } : {}) }).list(),
        );
        printList(ctx, clients, {
          json: values.json,
          jsonOf: ({ secretHash, ...c }) => ({ ...c, confidential: secretHash !== null }),
          columns: {
            CLIENT_ID: (c) => c.clientId,
            NAME: (c) => c.name,
            TYPE: (c) => (c.public ? 'public' : 'confidential'),
            GRANTS: (c) => c.grantTypes.join(','),
            REDIRECT_URIS: (c) => c.redirectUris.join(' '),
            FIRST_PARTY: (c) => (c.firstParty ? 'yes' : 'no'),
            SOURCE: (c) => c.source,
            CREATED: (c) => c.createdAt,
          },
        });
      },

      async delete(argv, ctx) {
        const clientId = exactlyOne(args(argv, {}).positionals, 'client_id');
        const deleted = await ctx.withStore((store) => new Clients({ store }).delete(clientId));
        if (!deleted)
          throw new AuthError('AUTH_CLIENT_NOT_FOUND', {
            reason: 'not in the database (static clients live in the config file)',
          });
        ctx.out(`deleted ${clientId}`);
      },
    },
  });
}

export const clientsCommand: Command = createClientsCommand();
