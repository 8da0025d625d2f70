// V8 flags `nodelet run` is started with: by the `nodelet` command's shebang (bin.ts), by the
// wrapper scripts/install.sh writes for systemd, by scripts/demo.sh and by the benchmarks.
//
// --max-semi-space-size=4: V8 grows the young generation up to 16 MiB per semi-space while
// allocation is heavy (50 pods starting at once) and gives it back only minutes later. Capped
// at 4 MiB, the idle agent's RSS stays under 100 MB after such a burst (117 → 90 MiB measured
// with 50 pods, bench/idle-cost.ts), at no measurable CPU cost: an idle agent allocates little.
// test/unit/cli/node-flags.test.ts keeps the other places in step with this list.
export const AGENT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
