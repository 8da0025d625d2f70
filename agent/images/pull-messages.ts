// Pure: the kubelet's image event texts (pkg/kubelet/images/image_manager.go), so the runtime
// adapter and the executor print exactly what a kubelet prints.
import { formatGoDuration } from '../core/go-duration.js';

/**
 * `Successfully pulled image "x" in 1.234s (5.678s including waiting). Image size: N bytes.`:
 * the pull's own duration and the time since the Pulling event, both truncated to the
 * millisecond as the kubelet does.
 */
export function pulledMessage(image: string, pullMs: number, sincePullingMs: number, sizeBytes: number): string {
  const d = (ms: number): string => formatGoDuration(Math.max(0, Math.floor(ms)));
  return `Successfully pulled image ${JSON.stringify(image)} in ${d(pullMs)} (${d(Math.max(pullMs, sincePullingMs))} including waiting). Image size: ${sizeBytes} bytes.`;
}
