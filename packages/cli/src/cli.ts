import { commands } from './commands/index.ts';

export interface Command {
  /** `edgepass <name> ...` */
  name: string;
  /** one line for `edgepass help` */
  summary: string;
  /** full usage text for `edgepass <name> --help` */
  usage: string;
  /** returns the process exit code */
  run(args: string[]): Promise<number>;
}

export function helpText(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `usage: edgepass <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun "edgepass <command> --help" for a command's options.`;
}

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    console.log(helpText());
    return name ? 0 : 2;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`edgepass: unknown command "${name}"\n\n${helpText()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  return await command.run(rest);
}
