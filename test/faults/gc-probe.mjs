// Preloaded into the agent child (`node --expose-gc --import`) by the churn scenario of
// test/faults/scenarios.ts: on an IPC message it runs a full GC and answers with the memory
// usage, so RSS is compared after GC and not at a random point of the collector's cycle.
process.channel?.unref();
process.on('message', (message) => {
  if (message?.type !== 'gc') return;
  globalThis.gc?.();
  globalThis.gc?.();
  process.send?.({ type: 'memory', ...process.memoryUsage() });
});
