// Go's time.Duration formatting, which kubelet's messages (back-off, probe timeouts) print. Pure.

/**
 * Go's time.Duration.String() for a whole number of milliseconds, because kubelet's messages
 * print durations that way: `0s`, `500ms`, `10s`, `1m20s`, `5m0s`, `1h0m0s`, `1.5s`.
 */
export function formatGoDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(Math.round(ms));
  if (abs === 0) return '0s';
  if (abs < 1000) return `${sign}${abs}ms`;
  const hours = Math.floor(abs / 3_600_000);
  const minutes = Math.floor((abs % 3_600_000) / 60_000);
  const millis = abs % 60_000;
  const wholeSeconds = Math.floor(millis / 1000);
  const fraction = millis % 1000;
  const seconds = fraction === 0 ? String(wholeSeconds) : `${wholeSeconds}.${String(fraction).padStart(3, '0').replace(/0+$/, '')}`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}
