// One HTTPS request with its whole body, bounded (15 s): what the kubelet-endpoint tests send
// straight to the endpoint, with or without a client certificate or a bearer token.
import https from 'node:https';

export interface HttpsAnswer {
  readonly status: number;
  readonly body: string;
}

export function httpsRequest(options: https.RequestOptions): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request({ agent: false, timeout: 15_000, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
