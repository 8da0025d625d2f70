// One reader of Go-style durations for the config modules (image, eviction, shutdown, kubelet
// endpoint): an invalid value is a problem naming its key, read as 0 so the rest still resolves.
import { parseDuration } from '../core/duration.js';

export type DurationReader = (key: string, raw: unknown, fallback: string) => number;

export function durationReader(problems: string[]): DurationReader {
  return (key, raw, fallback) => {
    const value = raw ?? fallback;
    const ms = parseDuration(value as string | number);
    if (ms === undefined) {
      problems.push(`${key}: invalid duration ${JSON.stringify(value)} (use e.g. 10s, 1m30s, 250ms)`);
      return 0;
    }
    return ms;
  };
}
