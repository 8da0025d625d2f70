// The serving certificate of the kubelet endpoint, in the kubelet's three ways:
//  - a configured pair (tlsCertFile / tlsPrivateKeyFile), read at start;
//  - serverTLSBootstrap: a CSR to the kubernetes.io/kubelet-serving signer (the kubelet's
//    certificate manager): key ECDSA P-256, CN system:node:<name>, O system:nodes, SANs = the
//    node's addresses and hostname; waits until the CSR is approved and issued; stored as
//    <certDir>/kubelet-server-<time>.pem with the kubelet-server-current.pem link; renewed at a
//    jittered 70–90 % of its lifetime; every new pair is handed to `onChange` (the server swaps
//    its TLS context, connections in flight keep theirs);
//  - otherwise a self-signed pair written once to <certDir>/kubelet.crt and kubelet.key.
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import { certificateRequestPem, generateServingKey, keyFromPem, selfSignedCertificatePem } from './x509.js';

export interface ServingPair {
  readonly cert: string;
  readonly key: string;
}

/** certificate manager nextRotationDeadline: notBefore + lifetime × (0.7 + 0.2 × jitter). */
export function rotationDeadline(notBeforeMs: number, notAfterMs: number, random: () => number = Math.random): number {
  const total = notAfterMs - notBeforeMs;
  return Math.round(notBeforeMs + total * (0.7 + 0.2 * random()));
}

function validity(certPem: string): { notBefore: number; notAfter: number } {
  const x = new X509Certificate(certPem);
  return { notBefore: Date.parse(x.validFrom), notAfter: Date.parse(x.validTo) };
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The pair the config names. */
export async function configuredPair(certFile: string, keyFile: string): Promise<ServingPair> {
  return { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
}

/** <certDir>/kubelet.crt|key, made once (the kubelet keeps an existing pair). */
export async function selfSignedPair(certDir: string, host: string, sans: readonly string[], nowMs: number): Promise<ServingPair> {
  const certPath = join(certDir, 'kubelet.crt');
  const keyPath = join(certDir, 'kubelet.key');
  const [cert, key] = [await readIfExists(certPath), await readIfExists(keyPath)];
  if (cert !== undefined && key !== undefined) return { cert, key };
  await mkdir(certDir, { recursive: true, mode: 0o755 });
  const k = generateServingKey();
  const pair = { cert: selfSignedCertificatePem(host, sans, k.key, nowMs), key: k.keyPem };
  await writeFile(keyPath, pair.key, { mode: 0o600 });
  await writeFile(certPath, pair.cert, { mode: 0o644 });
  return pair;
}

/** A CertificateSigningRequest as the API server returns it (the fields read here). */
export interface Csr {
  readonly metadata?: { readonly name?: string };
  readonly status?: { readonly certificate?: string; readonly conditions?: readonly { readonly type: string; readonly reason?: string; readonly message?: string }[] };
}

export interface CsrClient {
  createCsr(body: object): Promise<Csr>;
  getCsr(name: string): Promise<Csr>;
}

export interface CertificateManagerOptions {
  readonly nodeName: string;
  /** IPs and DNS names for the SANs (node addresses, hostname). */
  readonly sans: readonly string[];
  readonly certDir: string;
  readonly client: CsrClient;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How often a pending CSR is read again (the kubelet watches it). */
  readonly pollMs?: number;
  readonly random?: () => number;
}

const CURRENT = 'kubelet-server-current.pem';

/** The kubelet-serving certificate manager: load or request, then rotate before expiry. */
export class ServingCertificateManager {
  #pair?: ServingPair;
  #timer?: { cancel(): void };
  readonly #stopped = new AbortController();
  readonly #listeners: ((pair: ServingPair) => void)[] = [];

  constructor(private readonly opts: CertificateManagerOptions) {}

  get current(): ServingPair | undefined {
    return this.#pair;
  }

  onChange(fn: (pair: ServingPair) => void): void {
    this.#listeners.push(fn);
  }

  /** A valid stored pair, or a new one from the signer (waits for approval and issue). */
  async start(): Promise<ServingPair> {
    const stored = await this.#loadStored();
    const pair = stored ?? (await this.#request());
    this.#install(pair);
    return pair;
  }

  stop(): void {
    this.#stopped.abort();
    this.#timer?.cancel();
  }

  async #loadStored(): Promise<ServingPair | undefined> {
    const text = await readIfExists(join(this.opts.certDir, CURRENT));
    if (text === undefined) return undefined;
    const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/.exec(text)?.[0];
    const key = /-----BEGIN (EC )?PRIVATE KEY-----[\s\S]+?-----END (EC )?PRIVATE KEY-----\n?/.exec(text)?.[0];
    if (cert === undefined || key === undefined) return undefined;
    try {
      if (validity(cert).notAfter <= this.opts.clock.now()) return undefined;
    } catch {
      return undefined;
    }
    return { cert, key };
  }

  #install(pair: ServingPair): void {
    this.#pair = pair;
    const { notBefore, notAfter } = validity(pair.cert);
    const deadline = rotationDeadline(notBefore, notAfter, this.opts.random);
    const wait = Math.max(0, deadline - this.opts.clock.now());
    this.opts.logger.info({ notAfter: new Date(notAfter).toISOString(), rotation: new Date(deadline).toISOString() }, 'kubelet serving certificate in use');
    this.#timer?.cancel();
    // setTimeout takes at most 2^31-1 ms: a longer wait is re-armed on expiry.
    this.#timer = this.opts.clock.setTimeout(() => void this.#rotate(deadline), Math.min(wait, 2 ** 31 - 1));
  }

  async #rotate(deadline: number): Promise<void> {
    if (this.#stopped.signal.aborted) return;
    if (this.opts.clock.now() < deadline - 1000 && this.#pair !== undefined) {
      this.#install(this.#pair);
      return;
    }
    try {
      const pair = await this.#request();
      this.#install(pair);
      for (const fn of this.#listeners) fn(pair);
    } catch (err) {
      if (this.#stopped.signal.aborted) return;
      this.opts.logger.warn({ err: errorMessage(err) }, 'kubelet serving certificate rotation failed; retrying');
      this.#timer = this.opts.clock.setTimeout(() => void this.#rotate(deadline), 30_000);
    }
  }

  /** One CSR: create, wait for Approved + certificate (or Denied/Failed), store. */
  async #request(): Promise<ServingPair> {
    const k = generateServingKey();
    const request = certificateRequestPem({ commonName: `system:node:${this.opts.nodeName}`, organizations: ['system:nodes'], sans: this.opts.sans }, keyFromPem(k.keyPem));
    const created = await this.opts.client.createCsr({
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { generateName: 'csr-' },
      spec: { request: Buffer.from(request).toString('base64'), signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'server auth'] },
    });
    const name = created.metadata?.name ?? '';
    this.opts.logger.info({ csr: name }, 'kubelet serving certificate requested; waiting for approval');
    let csr = created;
    for (;;) {
      const failed = csr.status?.conditions?.find((c) => c.type === 'Denied' || c.type === 'Failed');
      if (failed) throw new Error(`certificate signing request ${name} is ${failed.type.toLowerCase()}: ${failed.reason ?? ''} ${failed.message ?? ''}`.trim());
      const approved = csr.status?.conditions?.some((c) => c.type === 'Approved');
      if (approved && csr.status?.certificate) break;
      await this.opts.clock.sleep(this.opts.pollMs ?? 1000, this.#stopped.signal);
      csr = await this.opts.client.getCsr(name);
    }
    const cert = Buffer.from(csr.status?.certificate ?? '', 'base64').toString('utf8');
    const pair = { cert, key: k.keyPem };
    await this.#store(pair);
    this.opts.logger.info({ csr: name }, 'kubelet serving certificate issued');
    return pair;
  }

  /** kubelet-server-<stamp>.pem (cert then key, 0600) and the current link, replaced atomically. */
  async #store(pair: ServingPair): Promise<void> {
    await mkdir(this.opts.certDir, { recursive: true, mode: 0o755 });
    const stamp = new Date(this.opts.clock.now()).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
    const file = `kubelet-server-${stamp}.pem`;
    await writeFile(join(this.opts.certDir, file), pair.cert + pair.key, { mode: 0o600 });
    const tmp = join(this.opts.certDir, `.${CURRENT}.tmp`);
    await unlink(tmp).catch(() => undefined);
    await symlink(file, tmp);
    await rename(tmp, join(this.opts.certDir, CURRENT));
  }
}
