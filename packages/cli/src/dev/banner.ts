// The start banner of `edgepass dev`, printed on stdout (the only place the demo password and keys appear
// besides <data-dir>/dev-credentials.json). Plain text, one command per line, so it can be copied, and parsed
// by the end-to-end test.
import { credentialsPath } from './credentials.ts';
import { demoCommands } from './demo-commands.ts';
import type { RunningDevSystem } from './system.ts';

export const READY_LINE = 'edgepass dev is ready. Ctrl-C stops everything.';

export function formatBanner(system: RunningDevSystem, dataDir: string, startedInMs: number): string {
  const { urls, credentials: c, storage } = system;
  const commands = demoCommands(urls.gateway, c.demoApiKey.key, storage.fast);
  const lines = [
    '',
    `edgepass dev: everything is up (${(startedInMs / 1000).toFixed(1)} s; SQL: ${storage.sql}, fast state: ${storage.fast})`,
    '',
    `  gateway        ${urls.gateway}   (the one entry: the APIs below and the auth service's pages)`,
    `  login demo     ${urls.login}   (OAuth code + PKCE, signing in through the gateway)`,
    `  auth service   ${urls.auth}   (the issuer, through the gateway: /.well-known/openid-configuration, /oauth/*, /logout, /api; listens on ${urls.authDirect})`,
    `  admin          ${urls.admin}/metrics  ${urls.admin}/readyz`,
    `  services       vocabulary-service ${urls.vocabulary}  user-service ${urls.users} (passports only)`,
    '',
    `  demo user      ${c.demoUser.email}  password: ${c.demoUser.password}  (plan free)`,
    `  premium user   ${c.premiumUser.email}  password: ${c.premiumUser.password}  (plan premium)`,
    `  demo API key   ${c.demoApiKey.key}  (${c.demoApiKey.id}, owner ${c.demoUser.email}, scope vocabulary:read)`,
    `  worker API key ${c.signupWorkerKey.key}  (${c.signupWorkerKey.id}, scope signup:manage)`,
    `  kept in        ${dataDir === 'memory://' ? 'memory only (--data-dir memory://)' : `${credentialsPath(dataDir)} (mode 0600)`}`,
    '',
    'Try it:',
    ...commands.flatMap((cmd, i) => ['', `  # ${i + 1}. ${cmd.title} → ${cmd.expect}`, `  ${cmd.command}`]),
    '',
    `  # An access token: open ${urls.login} in a browser and sign in as the demo or the premium user;`,
    '  # the page shows the token and a curl command that uses it at the gateway.',
    '',
    READY_LINE,
    '',
  ];
  return lines.join('\n');
}
