#!/usr/bin/env node
// edgepass command line: `edgepass <command> [args]`. Commands register in commands/index.ts.
import { runCli } from './cli.ts';

process.exitCode = await runCli(process.argv.slice(2));
