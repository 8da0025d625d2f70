// Throw-away PKI for the fake API server, made with the openssl CLI in a temp dir: a CA, a
// server certificate for 127.0.0.1/localhost, and client certificates whose subject carries
// the Kubernetes identity (CN = user, O = groups), e.g. CN=system:node:n1, O=system:nodes.
// EC P-256 keys keep generation fast (a few ms per certificate).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertPair {
  readonly certPath: string;
  readonly keyPath: string;
  readonly cert: string;
  readonly key: string;
}

export interface TestPki {
  readonly dir: string;
  readonly ca: CertPair;
  readonly server: CertPair;
}

let serial = 1;

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd });
}

async function pair(dir: string, name: string): Promise<CertPair> {
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  return { certPath, keyPath, cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') };
}

async function newCa(dir: string, name: string, cn: string): Promise<CertPair> {
  await openssl(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${cn}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
  return pair(dir, name);
}

async function signed(dir: string, ca: CertPair, name: string, subject: string, extensions: string): Promise<CertPair> {
  await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
  await writeFile(join(dir, `${name}.ext`), extensions);
  await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', ca.certPath, '-CAkey', ca.keyPath, '-set_serial', String(Date.now() * 1000 + serial++), '-days', '2', '-out', `${name}.crt`, '-extfile', `${name}.ext`], dir);
  return pair(dir, name);
}

/** A CA and a server certificate valid for https://127.0.0.1 and https://localhost. */
export async function createTestPki(dir?: string, caName = 'fake-apiserver-ca'): Promise<TestPki> {
  const root = dir ?? (await mkdtemp(join(tmpdir(), 'fake-apiserver-pki-')));
  const ca = await newCa(root, 'ca', caName);
  const server = await signed(root, ca, 'server', '/CN=fake-apiserver', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n');
  return { dir: root, ca, server };
}

/**
 * A serving certificate signed by the test CA for the given subjectAltName entries
 * (e.g. ['IP:127.0.0.1', 'DNS:kubernetes.default.svc']), as a real kube-apiserver needs.
 */
export async function issueServingCert(pki: TestPki, name: string, cn: string, sans: readonly string[]): Promise<CertPair> {
  return signed(pki.dir, pki.ca, name, `/CN=${cn}`, `subjectAltName=${sans.join(',')}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n`);
}

/** An RSA key pair in PEM (service-account token signing); returns the private and public key paths. */
export async function createSigningKey(pki: TestPki, name: string): Promise<{ keyPath: string; pubPath: string }> {
  const keyPath = join(pki.dir, `${name}.key`);
  const pubPath = join(pki.dir, `${name}.pub`);
  await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', keyPath], pki.dir);
  await openssl(['pkey', '-in', keyPath, '-pubout', '-out', pubPath], pki.dir);
  return { keyPath, pubPath };
}

/** A client certificate: CN is the user name, each O a group (how kube-apiserver reads x509 identities). */
export async function issueClientCert(pki: TestPki, name: string, user: string, groups: readonly string[], signer?: CertPair): Promise<CertPair> {
  const subject = `${groups.map((g) => `/O=${g}`).join('')}/CN=${user}`;
  return signed(pki.dir, signer ?? pki.ca, name, subject, 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
}

/** A CA the fake does not trust, for "a certificate from elsewhere is refused". */
export async function createForeignCa(pki: TestPki): Promise<CertPair> {
  return newCa(pki.dir, `foreign-ca-${serial++}`, 'someone-else');
}
