// Pure: what systemd's busctl prints, read for the logind adapter (logind.ts).

/** `busctl get-property ... InhibitDelayMaxUSec` prints the D-Bus type and value: `t 5000000`. */
export function parseUint64Property(text: string): number | undefined {
  const m = /^t\s+(\d+)\s*$/.exec(text.trim());
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/**
 * One line of `busctl monitor --json=short`: the PrepareForShutdown signal's boolean (true: the
 * machine is about to shut down; false: a shutdown was cancelled), or undefined for anything
 * else (another message, a malformed or empty payload: logged and skipped, as the kubelet does).
 */
export function parsePrepareForShutdown(line: string): boolean | undefined {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof msg !== 'object' || msg === null) return undefined;
  const m = msg as { type?: unknown; member?: unknown; interface?: unknown; payload?: { type?: unknown; data?: unknown } };
  if (m.type !== 'signal' || m.member !== 'PrepareForShutdown' || m.interface !== 'org.freedesktop.login1.Manager') return undefined;
  const data = m.payload?.data;
  if (m.payload?.type !== 'b' || !Array.isArray(data) || typeof data[0] !== 'boolean') return undefined;
  return data[0];
}
