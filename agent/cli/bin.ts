#!/usr/bin/env node
// `nodelet` command line: `run` starts the agent; the other commands are thin clients.
import { Command, Option } from 'commander';
import { createRequire } from 'node:module';
import { registerValidateCommand } from './validate-command.js';
import { registerRunCommand } from './run-command.js';

const require = createRequire(import.meta.url);
const { version } = require('../../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('nodelet')
    .description('Run Kubernetes Pods and DaemonSets from a manifest directory on the local Docker Engine')
    .version(version, '--version', 'print the nodelet version')
    .addOption(new Option('--api-socket <path>', 'unix socket of the local API').env('NODELET_API_SOCKET').default('/run/nodelet/nodelet.sock'))
    .showHelpAfterError();
  registerRunCommand(program);
  registerValidateCommand(program);
  program
    .command('version')
    .description('print the nodelet version')
    .action(() => {
      console.log(`nodelet ${version}`);
    });
  return program;
}

await buildProgram().parseAsync(process.argv);
