// Every `edgepass` subcommand, in the order `edgepass help` lists them.
import type { Command } from '../cli.ts';
import { apiKeysCommand } from './api-keys.ts';
import { authCommand } from './auth.ts';
import { clientsCommand } from './clients.ts';
import { devCommand } from './dev.ts';
import { gatewayCommand } from './gateway.ts';
import { keysCommand } from './keys.ts';
import { usersCommand } from './users.ts';

export const commands: Command[] = [
  devCommand,
  gatewayCommand,
  authCommand,
  usersCommand,
  clientsCommand,
  apiKeysCommand,
  keysCommand,
];
