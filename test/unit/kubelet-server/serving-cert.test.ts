// The kubelet-serving certificate manager on a FakeClock with a fake signer: the CSR it sends,
// the stored pair and link, rotation at the jittered deadline with the new pair handed to the
// server; and the server swapping pairs and reloading its client CA while running.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, readlink, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import https from 'node:https';
import { connect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { ServingCertificateManager, type Csr, type CsrClient, type ServingPair } from '../../../agent/kubelet-server/serving-cert.js';
import { generateServingKey, selfSignedCertificatePem } from '../../../agent/kubelet-server/x509.js';
import { KubeletServer } from '../../../agent/kubelet-server/server.js';
import { alwaysAllow, Authenticator } from '../../../agent/kubelet-server/auth.js';
import { createLogger } from '../../../agent/log/logger.js';
import { createTestPki, createForeignCa, issueClientCert } from '../../fake-apiserver/pki.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const logger = createLogger({ level: 'silent' });

/** A signer that approves and issues at once: a certificate for the CSR's key (self-signed stand-in). */
function fakeSigner(clock: FakeClock): CsrClient & { requests: object[] } {
  const requests: object[] = [];
  let n = 0;
  const issued = new Map<string, Csr>();
  return {
    requests,
    createCsr: async (body) => {
      requests.push(body);
      const name = `csr-${++n}`;
      const k = generateServingKey();
      const cert = selfSignedCertificatePem(`issued-${n}`, ['n1'], k.key, clock.now());
      const csr = { metadata: { name }, status: { conditions: [{ type: 'Approved' }], certificate: Buffer.from(cert).toString('base64') } };
      issued.set(name, csr);
      return csr;
    },
    getCsr: async (name) => issued.get(name) ?? {},
  };
}

describe('ServingCertificateManager', () => {
  it('sends a kubelet-serving CSR, stores the pair with the current link, rotates at 70–90 % of the lifetime', async () => {
    const clock = new FakeClock(Date.now());
    const dir = await mkdtemp(join(tmpdir(), 'nodelet-certs-'));
    const signer = fakeSigner(clock);
    const m = new ServingCertificateManager({ nodeName: 'n1', sans: ['n1', '10.0.0.5'], certDir: dir, client: signer, clock, logger, pollMs: 10, random: () => 0.5 });
    const changes: ServingPair[] = [];
    m.onChange((p) => changes.push(p));
    const first = await m.start();
    expect(signer.requests[0]).toMatchObject({ apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', spec: { signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'server auth'] } });
    const csrPem = Buffer.from((signer.requests[0] as { spec: { request: string } }).spec.request, 'base64').toString();
    expect(csrPem).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    expect(await readlink(join(dir, 'kubelet-server-current.pem'))).toMatch(/^kubelet-server-\d{8}-\d{6}\.pem$/);
    expect(await readFile(join(dir, 'kubelet-server-current.pem'), 'utf8')).toBe(first.cert + first.key);
    expect(createPrivateKey(first.key).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    // random 0.5: the deadline is at 80 % of the year (the first 25-day timer re-arms).
    const x = new X509Certificate(first.cert);
    const deadline = Date.parse(x.validFrom) + 0.8 * (Date.parse(x.validTo) - Date.parse(x.validFrom));
    // Real file I/O runs between the timers: settle on a little real time, not only microtasks.
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 5));
    await clock.advance(deadline - clock.now() - 60_000, settle);
    expect(changes).toHaveLength(0);
    await clock.advance(60_000 + 20, settle);
    for (let i = 0; i < 200 && changes.length === 0; i++) await settle();
    expect(changes).toHaveLength(1);
    expect(changes[0]?.cert).not.toBe(first.cert);
    expect(m.current).toEqual(changes[0]);
    expect(signer.requests).toHaveLength(2);
    m.stop();
  });

  it('a valid stored pair is used without a new CSR', async () => {
    const clock = new FakeClock(Date.now());
    const dir = await mkdtemp(join(tmpdir(), 'nodelet-certs-'));
    const signer = fakeSigner(clock);
    const a = new ServingCertificateManager({ nodeName: 'n1', sans: ['n1'], certDir: dir, client: signer, clock, logger, pollMs: 10 });
    const pair = await a.start();
    a.stop();
    const b = new ServingCertificateManager({ nodeName: 'n1', sans: ['n1'], certDir: dir, client: signer, clock, logger, pollMs: 10 });
    expect(await b.start()).toEqual(pair);
    expect(signer.requests).toHaveLength(1);
    b.stop();
  });
});

describe('KubeletServer TLS material while running', () => {
  let server: KubeletServer | undefined;
  afterEach(async () => server?.close());

  const peerCN = (port: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        const cn = s.getPeerCertificate().subject.CN;
        s.end();
        resolve((Array.isArray(cn) ? cn[0] : cn) ?? '');
      });
      s.on('error', reject);
    });

  const status = (port: number, cert: { cert: string; key: string }): Promise<number> =>
    new Promise((resolve, reject) => {
      https.get({ host: '127.0.0.1', port, path: '/healthz', cert: cert.cert, key: cert.key, rejectUnauthorized: false, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });

  it('swaps the serving pair for new connections and reloads the client CA bundle when its file changes', async () => {
    const pki = await createTestPki();
    const other = await createForeignCa(pki);
    const caFile = join(pki.dir, 'client-ca.crt');
    await writeFile(caFile, pki.ca.cert);
    const k1 = generateServingKey();
    server = await KubeletServer.start({
      address: '127.0.0.1', port: 0, nodeName: 'n1', enableDebuggingHandlers: true,
      tls: { cert: selfSignedCertificatePem('first', ['127.0.0.1'], k1.key, Date.now()), key: k1.keyPem },
      clientCAFile: caFile,
      authenticator: new Authenticator({ x509: true, tokenCacheTtlMs: 1, anonymous: false, clock: new FakeClock(), retryable: () => false }),
      authorizer: alwaysAllow,
      backend: { listPods: () => [], healthy: () => ({ ok: true }), logs: async () => Readable.from([]) },
      configz: () => ({}), logger,
    });
    const port = server.port;
    expect(await peerCN(port)).toMatch(/^first@/);
    const k2 = generateServingKey();
    server.setServingPair({ cert: selfSignedCertificatePem('second', ['127.0.0.1'], k2.key, Date.now()), key: k2.keyPem });
    expect(await peerCN(port)).toMatch(/^second@/);

    const jane = await issueClientCert(pki, 'jane', 'jane', ['devs']);
    const bob = await issueClientCert(pki, 'bob', 'bob', ['devs'], other);
    expect(await status(port, jane)).toBe(200);
    expect(await status(port, bob)).toBe(401);
    // Replaced atomically (rename), as configuration management does.
    await writeFile(`${caFile}.new`, other.cert);
    await rename(`${caFile}.new`, caFile);
    const deadline = Date.now() + 10_000;
    while ((await status(port, bob)) !== 200) {
      if (Date.now() > deadline) throw new Error('client CA not reloaded');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await status(port, jane)).toBe(401);
  });
});
