import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The CA certificates of a PEM bundle (`VENDOR_CA_FILE`), checked at start-up so that a bad
 * file stops the server rather than every call's TLS handshake.
 * @returns The certificates, PEM, one after another.
 * @throws Error when the file cannot be read, holds no certificate, or one that does not parse.
 */
export function readVendorCa(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const certificates = text.match(PEM_CERTIFICATE) ?? [];
  if (certificates.length === 0) throw new Error(`${file} holds no PEM certificate`);
  for (const [i, pem] of certificates.entries()) {
    try {
      new X509Certificate(pem);
    } catch (error) {
      throw new Error(
        `certificate ${i + 1} of ${file} does not parse: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return `${certificates.join('\n')}\n`;
}
