// `edgepass users ...`: accounts on the store named by the environment (DATABASE_URL or EDGEPASS_DATA_DIR,
// REDIS_URL); the auth service need not be running. Role/plan/status changes publish `user.changed`.

import { randomBytes } from 'node:crypto';
import { Accounts, AuthError, type User } from '@edgepass/auth';
import {
  args,
  type CommandContext,
  type CommandIo,
  defineCommand,
  exactlyOne,
  flags,
  positiveInt,
  printList,
  UsageError,
} from '@edgepass/auth/admin';
import type { Store } from '@edgepass/store';
import type { Command } from '../cli.ts';

const USAGE = `usage: edgepass users <subcommand> [options]

Manages accounts on the store named by DATABASE_URL (or EDGEPASS_DATA_DIR) and REDIS_URL.

subcommands:
  create <email> [--name <name>] [--plan <plan>] [--role <role>]... [--verified]
         [--password-stdin | --no-password]
      Creates an account. The password is read from stdin with --password-stdin; --no-password creates an
      account that signs in through an external IdP only; otherwise a random password is printed once.
  list [--limit <n>] [--json]
  set-plan <email|id> <plan>
  set-roles <email|id> [<role>...]      (no roles clears them)
  disable <email|id>                    (also revokes its browser sessions and live access tokens)
  enable <email|id>

Plans are checked against --config <file> (auth config) or EDGEPASS_PLANS (comma-separated), default free,premium.`;

function plansFrom(ctx: CommandContext, configFile: string | undefined): string[] {
  const config = ctx.config(configFile);
  if (config) return [...config.plans];
  const fromEnv = ctx.env.EDGEPASS_PLANS?.split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  return fromEnv?.length ? fromEnv : ['free', 'premium'];
}

async function userRef(accounts: Accounts, ref: string): Promise<User> {
  const user = await accounts.findByIdOrEmail(ref);
  if (!user) throw new AuthError('AUTH_USER_NOT_FOUND', { reason: `no user ${ref}` });
  return user;
}

const summary = (u: User) => `${u.id} ${u.email} plan=${u.plan} roles=${u.roles.join(',') || '-'} status=${u.status}`;

export function createUsersCommand(io: CommandIo = {}): Command {
  const withAccounts = async <T>(
    ctx: CommandContext,
    configFile: string | undefined,
    fn: (a: Accounts, s: Store) => Promise<T>,
  ) => await ctx.withStore((store) => fn(new Accounts({ store, plans: plansFrom(ctx, configFile) }), store));

  return defineCommand({
    name: 'users',
    summary: 'create and list accounts, set plans and roles, disable (works on the store directly)',
    usage: USAGE,
    io,
    subcommands: {
      async create(argv, ctx) {
        const { values, positionals } = args(argv, {
          name: { type: 'string' },
          plan: { type: 'string' },
          role: { type: 'string', multiple: true },
          verified: { type: 'boolean', default: false },
          'password-stdin': { type: 'boolean', default: false },
          'no-password': { type: 'boolean', default: false },
          config: { type: 'string' },
        });
        const email = exactlyOne(positionals, 'email address');
        if (values['password-stdin'] && values['no-password'])
          throw new UsageError('--password-stdin and --no-password exclude each other');
        let password: string | undefined;
        let generated = false;
        if (values['password-stdin']) password = (await ctx.stdin()).replace(/\r?\n$/, '');
        else if (!values['no-password']) {
          password = randomBytes(18).toString('base64url');
          generated = true;
        }
        const user = await withAccounts(ctx, values.config, (accounts) =>
          accounts.create({
            email,
            ...(password !== undefined ? { password } : {}),
            ...(values.name ? { name: values.name } : {}),
            ...(values.plan ? { plan: values.plan } : {}),
            roles: values.role ?? [],
            emailVerified: values.verified,
          }),
        );
        if (generated) ctx.out(password ?? '');
        ctx.err(`created ${summary(user)}${generated ? '; the generated password is shown only once' : ''}`);
      },

      async list(argv, ctx) {
        const values = flags(argv, {
          limit: { type: 'string' },
          json: { type: 'boolean', default: false },
          config: { type: 'string' },
        });
        const limit = values.limit === undefined ? 1000 : positiveInt(values.limit, '--limit');
        const users = await withAccounts(ctx, values.config, (accounts) => accounts.list({ limit }));
        printList(ctx, users, {
          json: values.json,
          columns: {
            ID: (u) => u.id,
            EMAIL: (u) => u.email,
            PLAN: (u) => u.plan,
            ROLES: (u) => u.roles.join(','),
            STATUS: (u) => u.status,
            PASSWORD: (u) => (u.hasPassword ? 'yes' : 'no'),
            CREATED: (u) => u.createdAt,
          },
        });
      },

      async 'set-plan'(argv, ctx) {
        const { values, positionals } = args(argv, { config: { type: 'string' } });
        const [ref, plan] = positionals;
        if (positionals.length !== 2 || !ref || !plan) throw new UsageError('expected <email|id> <plan>');
        const user = await withAccounts(ctx, values.config, async (a) => a.setPlan((await userRef(a, ref)).id, plan));
        ctx.out(summary(user));
      },

      async 'set-roles'(argv, ctx) {
        const { values, positionals } = args(argv, { config: { type: 'string' } });
        const [ref, ...roles] = positionals;
        if (!ref) throw new UsageError('expected <email|id> [<role>...]');
        const user = await withAccounts(ctx, values.config, async (a) => a.setRoles((await userRef(a, ref)).id, roles));
        ctx.out(summary(user));
      },

      async disable(argv, ctx) {
        const ref = exactlyOne(args(argv, {}).positionals, 'user (email or id)');
        const user = await withAccounts(ctx, undefined, async (a) => a.disable((await userRef(a, ref)).id));
        ctx.out(summary(user));
      },

      async enable(argv, ctx) {
        const ref = exactlyOne(args(argv, {}).positionals, 'user (email or id)');
        const user = await withAccounts(ctx, undefined, async (a) => a.setStatus((await userRef(a, ref)).id, 'active'));
        ctx.out(summary(user));
      },
    },
  });
}

export const usersCommand: Command = createUsersCommand();
