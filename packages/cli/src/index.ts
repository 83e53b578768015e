export { type Command, helpText, runCli } from './cli.ts';
