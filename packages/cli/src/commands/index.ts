// Every `edgepass` subcommand, in the order `edgepass help` lists them.
import type { Command } from '../cli.ts';

export const commands: Command[] = [];
