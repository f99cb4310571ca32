/** @module Apple Root CA - G3, the default trust anchor of payment token signatures, pinned by fingerprint. */
import { X509Certificate } from 'node:crypto';

/**
 * SHA-256 fingerprint Apple publishes for Apple Root CA - G3
 * (https://www.apple.com/certificateauthority/, "Apple Root CA - G3 Root").
 */
export const APPLE_ROOT_CA_G3_SHA256 =
  '63:34:3A:BF:B8:9A:6A:03:EB:B5:7E:9B:3F:5F:A7:BE:7C:4F:5C:75:6F:30:17:B3:A8:C4:88:C3:65:3E:91:79';

/**
 * Apple Root CA - G3 (EC P-384, valid 2014-04-30 to 2039-04-30), bundled so the proxy needs no file
 * to trust Apple. Checked against {@link APPLE_ROOT_CA_G3_SHA256} when this module loads.
 *
 * @example
 * decryptPaymentToken(paymentData, { pairs, rootCaPem: APPLE_ROOT_CA_G3_PEM });
 */
export const APPLE_ROOT_CA_G3_PEM = `
-----BEGIN CERTIFICATE-----
MIICQzCCAcmgAwIBAgIILcX8iNLFS5UwCgYIKoZIzj0EAwMwZzEbMBkGA1UEAwwS
QXBwbGUgUm9vdCBDQSAtIEczMSYwJAYDVQQLDB1BcHBsZSBDZXJ0aWZpY2F0aW9u
IEF1dGhvcml0eTETMBEGA1UECgwKQXBwbGUgSW5jLjELMAkGA1UEBhMCVVMwHhcN
MTQwNDMwMTgxOTA2WhcNMzkwNDMwMTgxOTA2WjBnMRswGQYDVQQDDBJBcHBsZSBS
b290IENBIC0gRzMxJjAkBgNVBAsMHUFwcGxlIENlcnRpZmljYXRpb24gQXV0aG9y
aXR5MRMwEQYDVQQKDApBcHBsZSBJbmMuMQswCQYDVQQGEwJVUzB2MBAGByqGSM49
AgEGBSuBBAAiA2IABJjpLz1AcqTtkyJygRMc3RCV8cWjTnHcFBbZDuWmBSp3ZHtf
TjjTuxxEtX/1H7YyYl3J6YRbTzBPEVoA/VhYDKX1DyxNB0cTddqXl5dvMVztK517
IDvYuVTZXpmkOlEKMaNCMEAwHQYDVR0OBBYEFLuw3qFYM4iapIqZ3r6966/ayySr
MA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEGMAoGCCqGSM49BAMDA2gA
MGUCMQCD6cHEFl4aXTQY2e3v9GwOAEZLuN+yRhHFD/3meoyhpmvOwgPUnPWTxnS4
at+qIxUCMG1mihDK1A3UT82NQz60imOlM27jbdoXt2QfyFMm+YhidDkLF1vLUagM
6BgD56KyKA==
-----END CERTIFICATE-----
`.trim();

// A corrupted bundle must stop the process at start, not accept tokens signed under some other root.
if (new X509Certificate(APPLE_ROOT_CA_G3_PEM).fingerprint256 !== APPLE_ROOT_CA_G3_SHA256) {
  throw new Error('The bundled Apple Root CA - G3 does not match its pinned SHA-256 fingerprint.');
}
