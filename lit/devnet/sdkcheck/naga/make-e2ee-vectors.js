// make-e2ee-vectors.js writes ../testdata/e2ee-vectors.json with the SDK's own
// walletEncrypt (@lit-protocol/crypto 8.1.0), fixed x25519 key pairs, fixed
// randomness and a fixed clock, in both directions (client -> node request,
// node -> client reply and error). The
// Go test e2ee_test.go opens every vector with nagawire and seals it again:
// the bytes must match.
//
//   cd lit/devnet/sdkcheck/naga && npm ci && node make-e2ee-vectors.js
'use strict';
const fs = require('fs');
const path = require('path');
const { nacl } = require('@lit-protocol/nacl');
const { walletEncrypt, walletDecrypt } = require('@lit-protocol/crypto/src/lib/E2EE/e2ee');

const hex = (b) => Buffer.from(b).toString('hex');
// Fixed secrets (never used for anything else).
const secret = (tag) => Uint8Array.from({ length: 32 }, (_, i) => (tag * 91 + i * 29 + 7) & 0xff);
const client = nacl.box.keyPair.fromSecretKey(secret(3));
const node = nacl.box.keyPair.fromSecretKey(secret(4));

const cases = [
  {
    name: 'client-to-node', from: client, to: node, now: Date.UTC(2026, 11, 2, 12, 0, 0, 123),
    plaintext: JSON.stringify({
      code: Buffer.from('(async () => { await Lit.Actions.signEcdsa({ toSign, publicKey, sigName: "sig1" }); })();').toString('base64'),
      jsParams: { jsParams: { toSign: [1, 2, 3], publicKey: '04ab', sigName: 'sig1' } },
      nodeSet: [{ socketAddress: '127.0.0.1:7470', value: 1 }], keySetId: 'naga-keyset1',
    }),
  },
  {
    name: 'node-to-client', from: node, to: client, now: Date.UTC(2026, 11, 2, 12, 0, 1, 999),
    plaintext: JSON.stringify({ ok: true, error: null, errorObject: null, data: { success: true, signedData: {}, decryptedData: {}, claimData: {}, response: 'ü ☃ ' + 'r'.repeat(64), logs: 'log\n', paymentDetail: [{ component: 'baseAmount', quantity: 1, price: 1300 }] } }),
  },
  {
    name: 'node-to-client-error', from: node, to: client, now: Date.UTC(2027, 0, 1, 0, 0, 0, 0),
    plaintext: JSON.stringify({ ok: false, error: 'maxPrice too low', errorObject: '{"errorKind":"Payment","status":402}', data: null }),
  },
];

const out = [];
cases.forEach((c, i) => {
  const random = Uint8Array.from({ length: 16 }, (_, j) => (i * 17 + j * 5 + 3) & 0xff);
  const realRandom = crypto.getRandomValues;
  const realNow = Date.now;
  crypto.getRandomValues = (buf) => { buf.set(random); return buf; };
  Date.now = () => c.now;
  let env;
  try {
    env = walletEncrypt(c.from.secretKey, c.to.publicKey, new TextEncoder().encode(c.plaintext));
  } finally {
    crypto.getRandomValues = realRandom;
    Date.now = realNow;
  }
  const back = new TextDecoder().decode(walletDecrypt(c.to.secretKey, env));
  if (back !== c.plaintext) throw new Error('the SDK does not open its own ' + c.name);
  if (env.payload.random !== hex(random)) throw new Error('the fixed randomness was not used');
  out.push({
    name: c.name,
    senderSecret: hex(c.from.secretKey), senderPublic: hex(c.from.publicKey),
    recipientSecret: hex(c.to.secretKey), recipientPublic: hex(c.to.publicKey),
    version: env.version,
    verification_key: env.payload.verification_key,
    random: env.payload.random,
    created_at: env.payload.created_at,
    plaintext: c.plaintext,
    ciphertext_and_tag: env.payload.ciphertext_and_tag,
  });
});
const file = path.join(__dirname, '..', 'testdata', 'e2ee-vectors.json');
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file, JSON.stringify(out, null, 1) + '\n');
console.log('wrote', out.length, 'vectors to', file);
