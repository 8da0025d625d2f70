// Fault scenario of issue 12 item 5: the agent's wall clock is stepped back an hour (libfaketime,
// monotonic clock untouched) while a container crash-loops, and its next restart must still
// come within its back-off window. Before the fix the agent measured the window from Docker's
// finishedAt against its own wall clock and waited an hour more.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitUntil } from '../helpers/agent-harness.js';
import { LABELS } from '../../agent/core/labels.js';
import { disposeNode, launchAgent, makeNode, report, type Figures, type Node } from './scenarios.js';
import { ensureLibfaketime, faketimeEnv } from './faketime.js';

const HOUR_S = 3600;
/** The back-off window after the 4th start (10 s, 20 s, then 40 s); the brief's bound is 80 s. */
const WINDOW_MS = 40_000;
const BOUND_MS = 80_000;

function crashLoopYaml(name: string): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox:1.37
    command: ["sh", "-c", "exit 1"]
`;
}

/** When each attempt (Docker's restartCount label) of the app container was first seen. */
async function pollAttempts(node: Node, seen: Map<number, number>): Promise<void> {
  const list = await node.docker.listContainers({ all: true, filters: { label: [`${LABELS.node}=${node.nodeName}`, `${LABELS.containerName}=app`] } });
  for (const c of list) {
    const attempt = Number(c.Labels[LABELS.restartCount] ?? '-1');
    if (!seen.has(attempt)) seen.set(attempt, Date.now());
  }
}

export async function clockStepScenario(opts: { readonly stepSeconds: number }): Promise<Figures> {
  const library = await ensureLibfaketime();
  const node = await makeNode('clock');
  const timestampFile = join(node.root, 'faketime');
  await writeFile(timestampFile, '+0\n');
  await writeFile(join(node.manifestDir, 'crash.yaml'), crashLoopYaml('crash'));
  const agent = launchAgent(node, { env: faketimeEnv(library, timestampFile) });
  const seen = new Map<number, number>();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      await pollAttempts(node, seen).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    // Attempts 0 and 1 come at once, 2 after 10 s, 3 after 20 s more: step inside the 40 s window.
    await waitUntil(async () => seen.has(3), 'the 4th start of the crash-looping container', 90_000, 100);
    const steppedAt = Date.now();
    await writeFile(timestampFile, `${opts.stepSeconds > 0 ? '+' : ''}${opts.stepSeconds}\n`);
    // The agent's own log shows the stepped clock: otherwise this run would prove nothing.
    const linesBefore = agent.lines.length;
    await waitUntil(
      async () => (seen.has(4) ? true : undefined),
      'the 5th start after the clock step',
      BOUND_MS + 40_000,
      100,
    ).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}: the restart after the ${opts.stepSeconds} s clock step did not come within its back-off window (agent log: ${JSON.stringify(agent.lines.slice(-5))})`);
    });
    const afterStepMs = (seen.get(4) ?? 0) - steppedAt;
    const windowMs = (seen.get(4) ?? 0) - (seen.get(3) ?? 0);
    const stepped = agent.lines.slice(linesBefore).map((l) => Date.parse(String(l['time'] ?? ''))).filter((t) => Number.isFinite(t));
    const skewS = stepped.length > 0 ? Math.round(((stepped[stepped.length - 1] ?? 0) - Date.now()) / 1000) : Number.NaN;
    const figures: Figures = {
      stepSeconds: opts.stepSeconds,
      agentClockSkewS: skewS,
      restartAfterStepMs: afterStepMs,
      windowMs,
      expectedWindowMs: WINDOW_MS,
      boundMs: BOUND_MS,
    };
    report(`clock step ${opts.stepSeconds} s`, figures);
    if (!(Math.abs(skewS - opts.stepSeconds) < 60)) throw new Error(`the agent's log times are ${skewS} s off, not ${opts.stepSeconds} s: libfaketime did not take effect`);
    if (windowMs > BOUND_MS) throw new Error(`the restart came ${windowMs} ms after the previous one (bound ${BOUND_MS} ms)`);
    // Nor early: a forward step must not end the window (2 s for polling and a busy host).
    if (windowMs < WINDOW_MS - 2000) throw new Error(`the restart came ${windowMs} ms after the previous one, before its ${WINDOW_MS} ms window ended`);
    return figures;
  } finally {
    polling = false;
    await poller;
    await agent.stop();
    await disposeNode(node);
  }
}

export const BACKWARD_HOUR = -HOUR_S;
