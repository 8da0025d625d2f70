// The upgrade to a SPDY/3.1 streaming connection, answered as the kubelet's streaming server
// answers it: httpstream.Handshake picks the sub-protocol (X-Stream-Protocol-Version), then
// spdy.responseUpgrader checks the Connection/Upgrade headers and writes 101 (spec §3.4). Pure:
// the decision and the bytes of the HTTP answer; the caller writes them to the socket.

export const HEADER_PROTOCOL_VERSION = 'X-Stream-Protocol-Version';
export const HEADER_ACCEPTED_PROTOCOL_VERSIONS = 'X-Accepted-Stream-Protocol-Versions';
export const SPDY_31 = 'SPDY/3.1';

/** remotecommand over SPDY, newest first (cri-streaming SupportedStreamingProtocols; v5 is WebSocket-only). */
export const REMOTECOMMAND_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'] as const;
export type RemoteCommandProtocol = (typeof REMOTECOMMAND_PROTOCOLS)[number];
export const PORTFORWARD_PROTOCOLS = ['portforward.k8s.io'] as const;

/** A request's headers as Node gives them raw: [name, value, name, value, ...]. */
export type RawHeaders = readonly string[];

export type HandshakeResult =
  | { readonly ok: true; readonly protocol: string; readonly response: string }
  | { readonly ok: false; readonly status: number; readonly message: string; readonly response: string };

/** Go's textproto.CanonicalMIMEHeaderKey for ordinary names: `x-stream-protocol-version` → `X-Stream-Protocol-Version`. */
export function canonicalHeaderKey(name: string): string {
  return name
    .toLowerCase()
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('-');
}

/** The request's headers as Go's http.Header holds them (canonical keys; Host is not a header there). */
function goHeader(raw: RawHeaders): Map<string, string[]> {
  const header = new Map<string, string[]>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = canonicalHeaderKey(raw[i] ?? '');
    if (key === 'Host') continue;
    header.set(key, [...(header.get(key) ?? []), raw[i + 1] ?? '']);
  }
  return header;
}

/** fmt's %#v of an http.Header (keys sorted, as fmt prints maps). */
function goSyntax(header: Map<string, string[]>): string {
  const entries = [...header.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `http.Header{${entries.map(([k, vs]) => `${JSON.stringify(k)}:[]string{${vs.map((v) => JSON.stringify(v)).join(', ')}}`).join(', ')}}`;
}

/** fmt's %v of a []string. */
function goList(values: readonly string[]): string {
  return `[${values.join(' ')}]`;
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' };

/** net/http's http.Error on a raw connection: text/plain, nosniff, the message and a newline. */
export function httpErrorResponse(status: number, message: string, extraHeaders: readonly (readonly [string, string])[] = []): string {
  const body = `${message}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}`,
    ...extraHeaders.map(([k, v]) => `${k}: ${v}`),
    'Content-Type: text/plain; charset=utf-8',
    'X-Content-Type-Options: nosniff',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

function failure(status: number, message: string, extraHeaders: readonly (readonly [string, string])[] = []): HandshakeResult {
  return { ok: false, status, message, response: httpErrorResponse(status, message, extraHeaders) };
}

/** Comma-separated and repeated values, trimmed, empties dropped (httpstream commaSeparatedHeaderValues). */
function splitValues(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/**
 * httpstream.Handshake followed by spdy.responseUpgrader.UpgradeResponse: the negotiated
 * protocol and the 101 answer, or the 400/403 answer the kubelet writes.
 */
export function spdyHandshake(raw: RawHeaders, serverProtocols: readonly string[]): HandshakeResult {
  const header = goHeader(raw);
  const values = header.get(HEADER_PROTOCOL_VERSION);
  if (values === undefined) return failure(400, `unable to upgrade: header ${HEADER_PROTOCOL_VERSION} does not exist in request with ${header.size} headers`);
  const clientProtocols = splitValues(values);
  if (clientProtocols.length === 0) return failure(400, `unable to upgrade: header ${HEADER_PROTOCOL_VERSION} contains ${goList(values)}, but no valid protocols`);
  const protocol = clientProtocols.find((p) => serverProtocols.includes(p));
  if (protocol === undefined) {
    return failure(
      403,
      `unable to upgrade: unable to negotiate protocol: client supports ${goList(clientProtocols)}, server accepts ${goList(serverProtocols)}`,
      serverProtocols.map((p) => [HEADER_ACCEPTED_PROTOCOL_VERSIONS, p] as const),
    );
  }
  // Header.Get: the first value only.
  const connection = (header.get('Connection')?.[0] ?? '').toLowerCase();
  const upgrade = (header.get('Upgrade')?.[0] ?? '').toLowerCase();
  if (!connection.includes('upgrade') || !upgrade.includes(SPDY_31.toLowerCase())) {
    // Handshake has already set the negotiated protocol on the response when the upgrader refuses.
    return failure(400, `unable to upgrade: missing upgrade headers in request: ${goSyntax(header)}`, [[HEADER_PROTOCOL_VERSION, protocol]]);
  }
  const response = `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${SPDY_31}\r\n${HEADER_PROTOCOL_VERSION}: ${protocol}\r\n\r\n`;
  return { ok: true, protocol, response };
}
