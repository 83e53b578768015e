// @edgepass/auth/admin: plumbing for the admin commands of the `edgepass` CLI.
export {
  type AdminCommand,
  args,
  type CommandContext,
  type CommandIo,
  commandContext,
  defineCommand,
  durationSec,
  exactlyOne,
  iso,
  type Subcommand,
  table,
  UsageError,
} from './command-kit.ts';
