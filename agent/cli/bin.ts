#!/usr/bin/env -S node --max-semi-space-size=4
// `nodelet` command line: `run` starts the agent; the other commands are thin clients.
import { Command, Option } from 'commander';
import { registerValidateCommand } from './validate-command.js';
import { registerRunCommand } from './run-command.js';
import { registerClientCommands } from './commands/index.js';
import { DEFAULT_API_SOCKET } from './commands/context.js';
import { NODELET_VERSION as version } from '../version.js';
import { SCHEMA_KUBERNETES_VERSION } from '../manifest/schema-validate.js';
import { ApiClient, formatClientError } from '../api/client.js';
import { readOnlySocketFor } from '../config/config.js';

export function buildProgram(): Command {
  const program = new Command('nodelet')
    .description('Run Kubernetes Pods and DaemonSets from a manifest directory on the local Docker Engine')
    .version(version, '--version', 'print the nodelet version')
    .addOption(new Option('--api-socket <path>', 'unix socket of the local API').env('NODELET_API_SOCKET').default(DEFAULT_API_SOCKET))
    .addOption(
      new Option('--api-read-only-socket <path>', "read-only API socket, used for reads when the API socket refuses you (default: the API socket's name with -ro)").env('NODELET_API_READ_ONLY_SOCKET'),
    )
    .showHelpAfterError();
  registerRunCommand(program);
  registerValidateCommand(program);
  registerClientCommands(program);
  program
    .command('version')
    .description('print the client and agent versions, as kubectl version does')
    .action(async () => {
      console.log(`Client Version: v${version}`);
      // The API release manifests are validated against (kubectl prints its Kustomize version here).
      console.log(`Kubernetes API Version: v${SCHEMA_KUBERNETES_VERSION} (the schema nodelet validates manifests against)`);
      try {
        const globals = program.opts<{ apiSocket: string; apiReadOnlySocket?: string }>();
        const server = await new ApiClient(globals.apiSocket, { readOnlySocket: globals.apiReadOnlySocket ?? readOnlySocketFor(globals.apiSocket) }).version();
        console.log(`Server Version: ${server.gitVersion}`);
      } catch (err) {
        console.error(formatClientError(err));
        process.exitCode = 1;
      }
    });
  return program;
}

await buildProgram().parseAsync(process.argv);
