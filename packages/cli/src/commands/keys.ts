// `edgepass keys ...`: signing keys (table signing_keys) for access tokens (auth service) and passports
// (gateways). Rotation is two steps so that every verifier knows a key before anything is signed with it:
//   1. `keys rotate --stage`   → a next key is published in the JWKS but does not sign;
//   2. wait until verifiers refreshed their JWKS caches, then
//      `keys rotate --promote` → the next key signs; the old one is retired, still published until
//      --retire-after (default: the longest lifetime of a token it signed, from the auth config; access-token
//      keys are not retired without --config or --retire-after) has passed.
// `keys rotate --now` does both at once (development). Changes publish `keys.changed`: running auth
// services reload their signing key, gateways their JWKS / passport keys.
import { type AuthConfig, keyRetireAfterSec } from '@edgepass/auth';
import {
  type CommandContext,
  type CommandIo,
  defineCommand,
  durationSec,
  flags,
  printList,
  UsageError,
} from '@edgepass/auth/admin';
import { type KeyUse, type SigningAlgorithm, SigningKeyStore, type Store, signingAlgorithms } from '@edgepass/store';
import type { Command } from '../cli.ts';

const USAGE = `usage: edgepass keys <subcommand> [options]

Manages signing keys on the store named by DATABASE_URL (or EDGEPASS_DATA_DIR) and REDIS_URL, with the
master key from EDGEPASS_MASTER_KEY.

subcommands:
  list [--use access_token|passport] [--json]
  rotate [--use access_token|passport] [--stage | --promote | --now] [--alg <alg>]
         [--retire-after <duration>] [--config <auth config>]
      --stage (default): publish a next key that does not sign yet.
      --promote: the next key starts signing; the old key stays published for --retire-after.
      --now: stage and promote at once (development: no time for verifiers to learn the key).
      --retire-after defaults to the longest token lifetime: for access tokens from --config (the auth
      config, as edgepass auth reads it: max(access, ID token TTL) + 60 s) — without --config or
      --retire-after, --promote and --now refuse; 300 s for passports.
      --alg defaults to the config's signingAlg, else the algorithm of the key that signs now.
  prune
      Deletes retired keys whose retirement period has ended.

Rotation: stage, wait at least one JWKS cache period of your verifiers (gateways), then promote.`;

const USES: readonly KeyUse[] = ['access_token', 'passport'];
const PASSPORT_RETIRE_AFTER_SEC = 300;

function use(value: string | undefined): KeyUse {
  const u = value ?? 'access_token';
  if (!(USES as readonly string[]).includes(u)) throw new UsageError(`--use: expected ${USES.join(' or ')}`);
  return u as KeyUse;
}

function alg(value: string | undefined): SigningAlgorithm | undefined {
  if (value === undefined) return undefined;
  if (!(signingAlgorithms as readonly string[]).includes(value))
    throw new UsageError(`--alg: expected one of ${signingAlgorithms.join(', ')}`);
  return value as SigningAlgorithm;
}

/**
 * How long a retired key stays published: --retire-after, else the longest lifetime of a token it signed. For
 * access tokens that comes from the auth config only (the environment carries no lifetimes): guessing would drop
 * the key from the JWKS while tokens it signed are still valid, so without --config the command refuses.
 */
function retirementSec(keyUse: KeyUse, flag: string | undefined, config: AuthConfig | undefined): number {
  if (flag !== undefined) return durationSec(flag, '--retire-after');
  if (keyUse === 'passport') return PASSPORT_RETIRE_AFTER_SEC;
  if (config) return keyRetireAfterSec(config);
  throw new UsageError(
    'retiring an access_token key needs the token lifetimes: pass --config <file> (the auth config `edgepass auth` ' +
      'runs with) or --retire-after <duration> (at least the longest access/ID token lifetime)',
  );
}

async function withKeys<T>(ctx: CommandContext, fn: (keys: SigningKeyStore, store: Store) => Promise<T>): Promise<T> {
  const masterKey = ctx.masterKey();
  return await ctx.withStore(async (store) => {
    const keys = await SigningKeyStore.open({ sql: store.sql, masterKey, pubsub: store.fast.pubsub });
    try {
      return await fn(keys, store);
    } finally {
      await keys.close();
    }
  });
}

export function createKeysCommand(io: CommandIo = {}): Command {
  return defineCommand({
    name: 'keys',
    summary: 'list and rotate signing keys (stage → promote, or --now)',
    usage: USAGE,
    io,
    subcommands: {
      async list(argv, ctx) {
        const values = flags(argv, {
          use: { type: 'string' },
          json: { type: 'boolean', default: false },
        });
        const only = values.use === undefined ? undefined : use(values.use);
        const keys = await withKeys(ctx, (store) => store.list(only));
        printList(ctx, keys, {
          json: values.json,
          columns: {
            KID: (k) => k.kid,
            USE: (k) => k.use,
            ALG: (k) => k.alg,
            STATE: (k) => k.state,
            CREATED: (k) => k.createdAt,
            ACTIVATED: (k) => k.activatedAt,
            'PUBLISHED UNTIL': (k) => k.notAfter,
          },
        });
      },

      async rotate(argv, ctx) {
        const values = flags(argv, {
          use: { type: 'string' },
          stage: { type: 'boolean', default: false },
          promote: { type: 'boolean', default: false },
          now: { type: 'boolean', default: false },
          alg: { type: 'string' },
          'retire-after': { type: 'string' },
          config: { type: 'string' },
        });
        const steps = [values.stage, values.promote, values.now].filter(Boolean).length;
        if (steps > 1) throw new UsageError('give one of --stage, --promote, --now');
        const keyUse = use(values.use);
        const retires = values.promote || values.now;
        // The auth config as `edgepass auth` resolves it (the file, then the environment's overrides).
        const config = keyUse === 'access_token' ? ctx.config(values.config) : undefined;
        const retireAfterSec = retires ? retirementSec(keyUse, values['retire-after'], config) : 0;
        // Without --alg: the configured signingAlg, else (the store's default) the algorithm of the key that signs now.
        const algorithm = alg(values.alg) ?? config?.signingAlg;
        await withKeys(ctx, async (keys) => {
          if (retires) {
            const result = values.now
              ? await keys.rotateNow(keyUse, { retireAfterSec, ...(algorithm ? { alg: algorithm } : {}) })
              : await keys.promoteNext(keyUse, { retireAfterSec });
            ctx.out(`active ${result.activeKid}`);
            ctx.err(
              `${keyUse}: ${result.activeKid} signs now` +
                (result.retiredKid ? `; ${result.retiredKid} retired, published for ${retireAfterSec} s more` : ''),
            );
            return;
          }
          const staged = await keys.stageNext(keyUse, algorithm);
          ctx.out(`next ${staged.kid}`);
          ctx.err(
            `${keyUse}: ${staged.kid} (${staged.alg}) is published but does not sign yet; once verifiers have refreshed ` +
              `their JWKS, run: edgepass keys rotate --use ${keyUse} --promote --config <auth config>`,
          );
        });
      },

      async prune(argv, ctx) {
        flags(argv, {});
        const removed = await withKeys(ctx, (keys) => keys.pruneRetired());
        ctx.out(`pruned ${removed}`);
      },
    },
  });
}

export const keysCommand: Command = createKeysCommand();
