// The client commands: thin kubectl-style views over the agent's local API. They never touch
// Docker or the manifest directory.
import type { Command } from 'commander';
import type { ClientCommandDeps } from './context.js';
import { registerGetCommand } from './get.js';
import { registerDescribeCommand } from './describe.js';
import { registerLogsCommand } from './logs.js';
import { registerExecCommand } from './exec.js';
import { registerDeleteCommand } from './delete.js';
import { registerNodeCommands, registerRolloutCommands, registerSetCommand } from './daemonsets.js';

export type { ClientCommandDeps, CliIo } from './context.js';

export function registerClientCommands(program: Command, deps: ClientCommandDeps = {}): void {
  registerGetCommand(program, deps);
  registerDescribeCommand(program, deps);
  registerLogsCommand(program, deps);
  registerExecCommand(program, deps);
  registerDeleteCommand(program, deps);
  registerNodeCommands(program, deps);
  registerRolloutCommands(program, deps);
  registerSetCommand(program, deps);
}
