/**
 * A throw-away certificate authority and serving certificate, generated at start, so
 * the simulator speaks HTTPS the way a real API server does. kubectl never sends a
 * bearer token over plain HTTP, and client-node only uses http:// with
 * insecure-skip-tls-verify, so TLS is the real mode, not an option.
 *
 * @peculiar/x509 (WebCrypto based, ECDSA P-256: milliseconds, not the seconds an RSA
 * key in pure JS costs) needs the reflect-metadata polyfill for its DI container.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// Node's webcrypto is the Crypto the library expects; the cast bridges two declarations of it.
x509.cryptoProvider.set(webcrypto as never);

export interface ServingCertificate {
  /** PEM of the CA that signed the serving certificate: what a kubeconfig trusts. */
  caPem: string;
  certPem: string;
  keyPem: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

export async function createServingCertificate(
  hosts: { dns: string[]; ips: string[] } = { dns: ['localhost'], ips: ['127.0.0.1', '::1'] },
): Promise<ServingCertificate> {
  const subtle = webcrypto.subtle;
  const notBefore = new Date(Date.now() - DAY);
  const notAfter = new Date(Date.now() + 365 * DAY);
  const caKeys = (await subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=kubegate-simulator-ca',
    notBefore,
    notAfter,
    keys: caKeys as never,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const keys = (await subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=kubegate-simulator',
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingKey: caKeys.privateKey as never,
    publicKey: keys.publicKey as never,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        ...hosts.dns.map((value) => ({ type: 'dns' as const, value })),
        ...hosts.ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
    ],
  });
  const pkcs8 = await subtle.exportKey('pkcs8', keys.privateKey);
  return { caPem: ca.toString('pem'), certPem: cert.toString('pem'), keyPem: toPem(pkcs8, 'PRIVATE KEY') };
}
