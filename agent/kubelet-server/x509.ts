// Pure (node:crypto only for signing): the DER a kubelet serving certificate needs, without
// openssl or a library: a PKCS#10 certificate request for the kubernetes.io/kubelet-serving
// signer (CN system:node:<name>, O system:nodes, DNS and IP SANs, ECDSA P-256 / SHA-256, as
// the kubelet's certificate manager makes it) and a self-signed serving certificate for when no
// pair is configured and no CSR is asked for. Only the handful of ASN.1 types these use.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, content: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), length(content.length), content]);
const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
const bitString = (b: Buffer, unused = 0): Buffer => tlv(0x03, Buffer.concat([Buffer.from([unused]), b]));
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const explicit = (n: number, content: Buffer): Buffer => tlv(0xa0 + n, content);

function integer(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0 && ((b[i + 1] ?? 0) & 0x80) === 0) i++;
  const trimmed = b.subarray(i);
  return tlv(0x02, (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const out = [a * 40 + b];
  for (const n of rest) {
    const chunk: number[] = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime until 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
function time(ms: number): Buffer {
  const iso = new Date(ms).toISOString();
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
  const year = new Date(ms).getUTCFullYear();
  return year < 2050 ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${digits}Z`));
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

/** Subject with O values then the CN, as x509 pkix.Name marshals them. */
function name(cn: string, organizations: readonly string[] = []): Buffer {
  return seq(...organizations.map((o) => set(seq(oid('2.5.4.10'), utf8(o)))), set(seq(oid('2.5.4.3'), utf8(cn))));
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  // IPv6: expand :: and write 8 groups.
  const [head = '', tail = ''] = ip.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = ip.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(Number.parseInt(g || '0', 16), i * 2));
  return out;
}

/** subjectAltName: dNSName [2] and iPAddress [7], IA5/octets, implicit tags. */
function subjectAltName(sans: readonly string[]): Buffer {
  const names = sans.map((s) => (isIP(s) === 0 ? tlv(0x82, Buffer.from(s, 'ascii')) : tlv(0x87, ipBytes(s))));
  return seq(oid('2.5.29.17'), octets(seq(...names)));
}

function spki(key: KeyObject): Buffer {
  return createPublicKey(key).export({ type: 'spki', format: 'der' });
}

function signed(tbs: Buffer, key: KeyObject): Buffer {
  return seq(tbs, ECDSA_SHA256, bitString(sign('sha256', tbs, key)));
}

function pem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** An ECDSA P-256 key in PKCS#8 PEM (the kubelet's certificate manager uses P-256 too). */
export function generateServingKey(): { readonly keyPem: string; readonly key: KeyObject } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  // SEC1 ("EC PRIVATE KEY"), as Go's x509.MarshalECPrivateKey writes it.
  return { keyPem: privateKey.export({ type: 'sec1', format: 'pem' }).toString(), key: privateKey };
}

export function keyFromPem(keyPem: string): KeyObject {
  return createPrivateKey(keyPem);
}

export interface CsrSubject {
  readonly commonName: string;
  readonly organizations: readonly string[];
  /** DNS names and IP addresses. */
  readonly sans: readonly string[];
}

/** A PKCS#10 CertificationRequest (PEM) with an extensionRequest for the SANs. */
export function certificateRequestPem(subject: CsrSubject, key: KeyObject): string {
  const extensions = seq(subjectAltName(subject.sans));
  const extensionRequest = seq(oid('1.2.840.113549.1.9.14'), set(extensions));
  const info = seq(integer(Buffer.from([0])), name(subject.commonName, subject.organizations), spki(key), tlv(0xa0, extensionRequest));
  return pem('CERTIFICATE REQUEST', signed(info, key));
}

/**
 * A self-signed serving certificate (CN `<host>@<unix seconds>`, SANs = host names and IPs,
 * server auth, one year), the kind the kubelet writes to <cert-dir>/kubelet.crt when given no
 * pair. (The kubelet signs it with a throw-away CA of its own and writes both; one
 * self-signed certificate serves the same purpose.)
 */
export function selfSignedCertificatePem(host: string, sans: readonly string[], key: KeyObject, nowMs: number): string {
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const subject = name(`${host}@${Math.floor(nowMs / 1000)}`);
  const keyUsage = seq(oid('2.5.29.15'), tlv(0x01, Buffer.from([0xff])), octets(bitString(Buffer.from([0xa0]), 5)));
  const extKeyUsage = seq(oid('2.5.29.37'), octets(seq(oid('1.3.6.1.5.5.7.3.1'))));
  const basic = seq(oid('2.5.29.19'), tlv(0x01, Buffer.from([0xff])), octets(seq()));
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ECDSA_SHA256,
    subject,
    seq(time(nowMs - 60 * 60_000), time(nowMs + 365 * 24 * 60 * 60_000)),
    subject,
    spki(key),
    explicit(3, seq(keyUsage, extKeyUsage, basic, subjectAltName(sans))),
  );
  return pem('CERTIFICATE', signed(tbs, key));
}
