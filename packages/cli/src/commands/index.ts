// Every `edgepass` subcommand, in the order `edgepass help` lists them.
import type { Command } from '../cli.ts';
import { apiKeysCommand } from './api-keys.ts';

export const commands: Command[] = [apiKeysCommand];
