import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

export interface IdpKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function idpKey(kid: string, alg: 'RS256' | 'ES256' = 'RS256'): Promise<IdpKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/**
 * A stand-in identity provider: a real HTTP server on a free port serving a JWKS that the test
 * changes at will, counting the fetches; `hang` makes it accept and never answer.
 */
export async function startJwksServer(keys: IdpKey[]) {
  let served = keys;
  let hang = false;
  let fetches = 0;
  const server: Server = createServer((_req, res) => {
    fetches++;
    if (hang) return;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: served.map((k) => k.publicJwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get fetches() {
      return fetches;
    },
    serve(next: IdpKey[]) {
      served = next;
    },
    hang(on: boolean) {
      hang = on;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Signs a provider token; `claims` overrides (undefined removes) the defaults. */
export function idpToken(
  key: IdpKey,
  claims: JWTPayload & Record<string, unknown>,
  opts: { alg?: string; header?: Record<string, unknown> } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { iat: now, exp: now + 300, ...claims };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return new SignJWT(payload)
    .setProtectedHeader({ alg: opts.alg ?? (key.publicJwk.alg as string), kid: key.kid, typ: 'JWT', ...opts.header })
    .sign(key.privateKey);
}
