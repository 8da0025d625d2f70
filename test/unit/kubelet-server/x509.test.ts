// The DER builder: a CSR openssl accepts (signature verified, subject and SANs as the
// kubelet-serving signer wants them) and a self-signed serving certificate node:crypto parses.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { certificateRequestPem, generateServingKey, selfSignedCertificatePem } from '../../../agent/kubelet-server/x509.js';

describe('x509 DER builder', () => {
  it('self-signed certificate: subject CN host@seconds, SANs, verifies with its own key, one year', () => {
    const k = generateServingKey();
    const now = Date.UTC(2026, 0, 2, 3, 4, 5);
    const cert = new X509Certificate(selfSignedCertificatePem('node-a', ['node-a', '127.0.0.1', 'fd00::1'], k.key, now));
    expect(cert.subject).toBe(`CN=node-a@${Math.floor(now / 1000)}`);
    expect(cert.subjectAltName).toBe('DNS:node-a, IP Address:127.0.0.1, IP Address:FD00:0:0:0:0:0:0:1');
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(Date.parse(cert.validTo) - now).toBe(365 * 24 * 3600_000);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it('CSR: openssl verifies its signature and reads O, CN and the SAN extension', () => {
    const k = generateServingKey();
    const dir = mkdtempSync(join(tmpdir(), 'nodelet-csr-'));
    const file = join(dir, 'req.csr');
    writeFileSync(file, certificateRequestPem({ commonName: 'system:node:n1', organizations: ['system:nodes'], sans: ['n1', '127.0.0.1'] }, k.key));
    const text = execFileSync('openssl', ['req', '-in', file, '-noout', '-text', '-verify'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(text).toMatch(/Subject: O\s*=\s*system:nodes, CN\s*=\s*system:node:n1/);
    expect(text).toMatch(/DNS:n1, IP Address:127\.0\.0\.1/);
    expect(text).toMatch(/ecdsa-with-SHA256/);
    expect(text).toMatch(/NIST CURVE: P-256/);
  });
});
