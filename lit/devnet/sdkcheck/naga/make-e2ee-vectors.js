// Writes e2ee-vectors.json with the Lit SDK's own walletEncrypt
// (@lit-protocol/crypto 8.1.0), fixed keys, randomness and clock, so the Go
// implementation in package nagawire is checked against code we did not
// write. After `npm ci` in this directory, from the repository root:
//   node lit/devnet/sdkcheck/naga/make-e2ee-vectors.js > lit/internal/nagawire/testdata/e2ee-vectors.json
const { nacl } = require('@lit-protocol/nacl');
const { walletEncrypt, walletDecrypt } = require('@lit-protocol/crypto/src/lib/E2EE/e2ee');

const hex = (b) => Buffer.from(b).toString('hex');
const seeded = (tag) => Uint8Array.from({ length: 32 }, (_, i) => (tag * 37 + i * 11) & 0xff);
const client = nacl.box.keyPair.fromSecretKey(seeded(1));
const node = nacl.box.keyPair.fromSecretKey(seeded(2));

const cases = [
  { name: 'request', from: client, to: node, now: Date.UTC(2026, 11, 2, 10, 54, 9, 543),
    plaintext: JSON.stringify({ code: Buffer.from('Lit.Actions.setResponse({response:"hi"})').toString('base64'), jsParams: { jsParams: { a: 1 } } }) },
  { name: 'reply', from: node, to: client, now: Date.UTC(2026, 11, 2, 10, 54, 9, 999),
    plaintext: JSON.stringify({ ok: true, error: null, errorObject: null, data: { success: true, response: 'x'.repeat(40), logs: '' } }) },
  { name: 'reply-unicode', from: node, to: client, now: Date.UTC(2030, 0, 1, 0, 0, 0, 1),
    plaintext: JSON.stringify({ ok: false, error: 'Fehler ü \u2028 ☃', errorObject: '{"kind":"x"}', data: null }) },
];

const out = [];
for (const [i, c] of cases.entries()) {
  const realRandom = crypto.getRandomValues, realNow = Date.now;
  const random = Uint8Array.from({ length: 16 }, (_, j) => (i * 50 + j * 3 + 1) & 0xff);
  crypto.getRandomValues = (buf) => { buf.set(random); return buf; };
  Date.now = () => c.now;
  let env;
  try {
    env = walletEncrypt(c.from.secretKey, c.to.publicKey, new TextEncoder().encode(c.plaintext));
  } finally {
    crypto.getRandomValues = realRandom; Date.now = realNow;
  }
  const back = new TextDecoder().decode(walletDecrypt(c.to.secretKey, env));
  if (back !== c.plaintext) throw new Error('SDK round trip failed for ' + c.name);
  out.push({
    name: c.name,
    senderSecret: hex(c.from.secretKey), senderPublic: hex(c.from.publicKey),
    recipientSecret: hex(c.to.secretKey), recipientPublic: hex(c.to.publicKey),
    plaintext: c.plaintext, envelope: env,
  });
}
process.stdout.write(JSON.stringify(out, null, 1) + '\n');
