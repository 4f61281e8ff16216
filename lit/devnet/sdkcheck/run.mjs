// run.mjs: the seed program ("Generating a Session Key", Lit v2 docs) run with
// the real Lit JS SDK 2.2.63 against litsigner's devnet, adapted to 2.2.63's
// getSessionSigs({resourceAbilityRequests}) API exactly as the fixtures in
// shared/fixtures/lit-sdk-2.2.63 were produced. It then checks what the SDK
// combined: the signature must recover to the PKP's address.
//
// Usage (litsigner devnet listening on localhost:7470-7479):
//   node run.mjs --announcement devnet.json     (the JSON line `litsigner devnet` prints)
//   node run.mjs --public-key 04... --eth-address 0x...
// Options: --urls http://127.0.0.1:P0,... (litNetwork "custom" instead of "localhost"),
//          --dump FILE (write the raw node replies and the SDK's signatures as JSON),
//          --ipfs (also run ./actions/seed.js by ipfsId under a session limited to its CID;
//                  needs `litsigner devnet --actions-dir lit/devnet/sdkcheck/actions`),
//          --timeout-ms N (whole run, default 120000),
//          --bench N [--concurrency C] (instead of the checks: N seed calls, C at a time, after 5
//                  warm-up calls; prints "sdkbench: {calls, cpuUs, elapsedMs, p50Ms, p99Ms}", cpuUs being
//                  this process's CPU time during the N calls).
// Exit status: 0 all checks passed, 1 a check failed or the SDK threw, 2 usage.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { benchCalls } from './benchloop.cjs';
import { importer } from 'ipfs-unixfs-importer';
import { MemoryBlockstore } from 'blockstore-core/memory';

const require = createRequire(import.meta.url);
const { LitNodeClient } = require('@lit-protocol/lit-node-client');
const { LitActionResource, LitAbility } = require('@lit-protocol/auth-helpers');
const { ethers } = require('ethers');
const { SiweMessage } = require('siwe');

// cidOf is the CIDv0 `ipfs add` gives data (the SDK's own ipfs-unixfs-importer).
async function cidOf(data) {
  for await (const entry of importer([{ content: data }], new MemoryBlockstore(), { cidVersion: 0, rawLeaves: false })) {
    return entry.cid.toString();
  }
  throw new Error('ipfs-unixfs-importer returned nothing');
}

// The wallet of the seed run that produced the fixtures (address
// 0x14791697260E4c9A71f18484C9f997B308e59325). A test key: never fund it.
const WALLET_KEY = '0x0123456789012345678901234567890123456789012345678901234567890123';

// The seed's action, unchanged. The devnet serves the same file by its CID
// when started with --actions-dir pointing at ./actions.
const SEED_ACTION = readFileSync(new URL('./actions/seed.js', import.meta.url), 'utf8');

// A second action: EIP-191 signing, setResponse (JSON, which the SDK parses)
// and console output, through Lit.Actions.
const PERSONAL_SIGN_ACTION = `
const go = async () => {
  const r = await Lit.Actions.ethPersonalSignMessageEcdsa({ message, publicKey, sigName: "p1" });
  console.log("signed", message.length, "chars:", r);
  Lit.Actions.setResponse({ response: JSON.stringify({ ok: r === "success", tokenId: Lit.Actions.pubkeyToTokenId({ publicKey }) }) });
};
go();
`;

// A third action: eight signatures in one run (sigNames m0..m7), so that
// the share dump exercises both branches of low-s normalization.
const MULTI_ACTION = `
const go = async () => {
  for (let i = 0; i < 5; i++) {
    await LitActions.signEcdsa({ toSign: [i, ...toSign], publicKey, sigName: "m" + i });
  }
};
go();
`;

function fail(msg) {
  console.error(`sdkcheck: FAIL: ${msg}`);
  process.exit(1);
}

function usage(msg) {
  console.error(`sdkcheck: ${msg}\nusage: node run.mjs (--announcement FILE | --public-key HEX --eth-address 0x...) [--urls U,...] [--dump FILE] [--timeout-ms N]`);
  process.exit(2);
}

const strip0x = (s) => s.replace(/^0x/i, '').toLowerCase();

function loadPKP(values) {
  if (values.announcement) {
    const line = readFileSync(values.announcement, 'utf8').split('\n').find((l) => l.trim() !== '');
    if (!line) usage(`${values.announcement} is empty`);
    const ann = JSON.parse(line);
    if (!ann.pkps || ann.pkps.length === 0) usage(`${values.announcement} lists no PKP`);
    return ann.pkps[0];
  }
  if (!values['public-key'] || !values['eth-address']) usage('need the PKP');
  return { publicKey: values['public-key'], ethAddress: values['eth-address'], tokenId: values['token-id'] };
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        announcement: { type: 'string' },
        'public-key': { type: 'string' },
        'eth-address': { type: 'string' },
        'token-id': { type: 'string' },
        urls: { type: 'string' },
        dump: { type: 'string' },
        ipfs: { type: 'boolean', default: false },
        'timeout-ms': { type: 'string', default: '120000' },
        bench: { type: 'string' },
        concurrency: { type: 'string', default: '1' },
      },
    }));
  } catch (e) {
    usage(e.message);
  }
  const timeoutMs = Number(values['timeout-ms']);
  setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs).unref();

  const pkp = loadPKP(values);
  const publicKey = '0x' + strip0x(pkp.publicKey);
  if (ethers.utils.computeAddress(publicKey).toLowerCase() !== pkp.ethAddress.toLowerCase()) {
    fail(`the devnet's ethAddress ${pkp.ethAddress} is not the address of its publicKey (${ethers.utils.computeAddress(publicKey)})`);
  }

  const wallet = new ethers.Wallet(WALLET_KEY);
  const config = { alertWhenUnauthorized: false, litNetwork: 'localhost', debug: false, connectTimeout: 20000 };
  if (values.urls) {
    config.litNetwork = 'custom';
    config.bootstrapUrls = values.urls.split(',');
  }
  const litNodeClient = new LitNodeClient(config);
  await litNodeClient.connect();

  // The seed's callback: a SIWE message for the session key, signed by the wallet.
  const authNeededCallback = async ({ chain, resources, expiration, uri }) => {
    const domain = 'localhost:3000';
    const message = new SiweMessage({
      domain,
      address: wallet.address,
      statement: 'Sign a session key to use with Lit Protocol',
      uri,
      version: '1',
      chainId: '1',
      expirationTime: expiration,
      resources,
    });
    const toSign = message.prepareMessage();
    const signature = await wallet.signMessage(toSign);
    return { sig: signature, derivedVia: 'web3.eth.personal.sign', signedMessage: toSign, address: wallet.address };
  };

  // 2.2.63's form of the seed's `resources: ["litAction://*"]`.
  const sessionSigs = await litNodeClient.getSessionSigs({
    chain: 'ethereum',
    resourceAbilityRequests: [{ resource: new LitActionResource('*'), ability: LitAbility.LitActionExecution }],
    authNeededCallback,
  });

  const toSign = [72, 101, 108, 108, 111, 32, 87, 111, 114, 108, 100]; // "Hello World"
  if (values.bench) {
    await bench(litNodeClient, sessionSigs, { toSign, publicKey: strip0x(pkp.publicKey), sigName: 'sig1' },
      Number(values.bench), Number(values.concurrency));
    process.exit(0);
  }
  const results = await litNodeClient.executeJs({
    code: SEED_ACTION,
    sessionSigs,
    jsParams: { toSign, publicKey: strip0x(pkp.publicKey), sigName: 'sig1' },
    debug: true,
  });
  const sig = results.signatures?.sig1;
  if (!sig || !sig.signature) fail(`no signature "sig1" in the SDK's result: ${JSON.stringify(results.signatures)}`);
  if (strip0x(sig.publicKey) !== strip0x(pkp.publicKey)) fail(`sig1.publicKey ${sig.publicKey}, want ${pkp.publicKey}`);
  // The nodes sign toSign as a big-endian integer: the digest is toSign left-padded to 32 bytes.
  const digest = ethers.utils.hexZeroPad(ethers.utils.hexlify(toSign), 32);
  const signer = ethers.utils.recoverAddress(digest, sig.signature);
  if (signer.toLowerCase() !== pkp.ethAddress.toLowerCase()) {
    fail(`the SDK's combined signature ${sig.signature} recovers to ${signer}, not to the PKP ${pkp.ethAddress}`);
  }
  console.log(`sdkcheck: signEcdsa ok: ${sig.signature} recovers to ${signer}`);

  const message = 'litsigner sdkcheck: personal sign ✓';
  const results2 = await litNodeClient.executeJs({
    code: PERSONAL_SIGN_ACTION,
    sessionSigs,
    jsParams: { message, publicKey: strip0x(pkp.publicKey) },
    debug: true,
  });
  const p1 = results2.signatures?.p1;
  if (!p1 || !p1.signature) fail(`no signature "p1" in the SDK's result: ${JSON.stringify(results2.signatures)}`);
  const signer2 = ethers.utils.verifyMessage(message, p1.signature);
  if (signer2.toLowerCase() !== pkp.ethAddress.toLowerCase()) {
    fail(`ethPersonalSignMessageEcdsa: the signature recovers to ${signer2}, not to the PKP ${pkp.ethAddress}`);
  }
  if (typeof results2.response !== 'object' || results2.response?.ok !== true) {
    fail(`response ${JSON.stringify(results2.response)}, want the parsed JSON {ok: true, ...}`);
  }
  const wantTokenId = '0x' + strip0x(ethers.utils.keccak256(publicKey));
  if (results2.response.tokenId !== wantTokenId) fail(`pubkeyToTokenId ${results2.response.tokenId}, want ${wantTokenId}`);
  if (pkp.tokenId && pkp.tokenId.toLowerCase() !== wantTokenId) fail(`the devnet's tokenId ${pkp.tokenId}, want ${wantTokenId}`);
  const wantLogs = `signed ${message.length} chars: success\n`;
  if (results2.logs !== wantLogs) fail(`logs ${JSON.stringify(results2.logs)}, want ${JSON.stringify(wantLogs)}`);
  console.log(`sdkcheck: ethPersonalSignMessageEcdsa ok: ${p1.signature} recovers to ${signer2}`);

  const results3 = await litNodeClient.executeJs({
    code: MULTI_ACTION,
    sessionSigs,
    jsParams: { toSign, publicKey: strip0x(pkp.publicKey) },
    debug: true,
  });
  for (let i = 0; i < 5; i++) {
    const m = results3.signatures?.['m' + i];
    if (!m || !m.signature) fail(`no signature "m${i}" in the SDK's result`);
    const d = ethers.utils.hexZeroPad(ethers.utils.hexlify([i, ...toSign]), 32);
    const who = ethers.utils.recoverAddress(d, m.signature);
    if (who.toLowerCase() !== pkp.ethAddress.toLowerCase()) fail(`signature m${i} recovers to ${who}, not to the PKP ${pkp.ethAddress}`);
  }
  console.log('sdkcheck: 5 signatures in one action ok (the per-run limit)');

  // An action that throws: the SDK must reject with the node's error
  // message, which it reads from the error body's message and errorCode.
  let thrown;
  try {
    await litNodeClient.executeJs({ code: 'throw new Error("sdkcheck-boom");', sessionSigs, jsParams: {} });
  } catch (e) {
    thrown = e;
  }
  if (!thrown) fail('an action that throws did not make executeJs reject');
  if (!String(thrown.message).includes('sdkcheck-boom') || !thrown.errorCode) {
    fail(`a thrown action gave ${JSON.stringify({ message: thrown.message, errorCode: thrown.errorCode })}, want the message and an errorCode`);
  }
  console.log(`sdkcheck: thrown action ok: ${thrown.errorCode}: ${thrown.message}`);

  const runs4 = [];
  if (values.ipfs) {
    // A session limited to one action (ReCap lit-litaction://<cid>), used by ipfsId.
    const cid = await cidOf(new TextEncoder().encode(SEED_ACTION));
    const narrowSigs = await litNodeClient.getSessionSigs({
      chain: 'ethereum',
      resourceAbilityRequests: [{ resource: new LitActionResource(cid), ability: LitAbility.LitActionExecution }],
      authNeededCallback,
    });
    const results4 = await litNodeClient.executeJs({
      ipfsId: cid,
      sessionSigs: narrowSigs,
      jsParams: { toSign, publicKey: strip0x(pkp.publicKey), sigName: 'ipfs1' },
      debug: true,
    });
    const s4 = results4.signatures?.ipfs1;
    if (!s4 || !s4.signature) fail(`ipfsId ${cid}: no signature "ipfs1": ${JSON.stringify(results4.signatures)}`);
    const who = ethers.utils.recoverAddress(digest, s4.signature);
    if (who.toLowerCase() !== pkp.ethAddress.toLowerCase()) fail(`ipfsId ${cid}: signature recovers to ${who}, not to the PKP`);
    runs4.push({ action: `ipfsId ${cid}`, results: results4 });
    // The same session must not run any other code.
    let refused;
    try {
      await litNodeClient.executeJs({ code: SEED_ACTION + '\n// not the same action\n', sessionSigs: narrowSigs, jsParams: { toSign, publicKey: strip0x(pkp.publicKey), sigName: 'x' } });
    } catch (e) {
      refused = e;
    }
    if (!refused) fail(`a session limited to ${cid} ran other code`);
    console.log(`sdkcheck: ipfsId ok: ${cid} signed; other code refused (${refused.errorCode}: ${refused.message})`);
  }

  if (values.dump) {
    const runs = [
      { action: 'signEcdsa', results },
      { action: 'ethPersonalSignMessageEcdsa', results: results2 },
      { action: 'signEcdsa x5', results: results3 },
      ...runs4,
    ].map(({ action, results: r }) => ({
      action,
      signatures: r.signatures,
      nodeReplies: r.debug.rawNodeHTTPResponses,
    }));
    writeFileSync(values.dump, JSON.stringify({ sdkVersion: '2.2.63', wallet: wallet.address, pkp, runs }, null, 2));
  }
  console.log('sdkcheck: OK');
  process.exit(0);
}

// bench runs the seed action n times, c calls at a time (benchloop.cjs), and
// prints the process's CPU time and the latencies (BenchmarkRealSDK reads the line).
async function bench(litNodeClient, sessionSigs, jsParams, n, c) {
  if (!(n > 0) || !(c > 0)) usage('--bench and --concurrency need positive counts');
  const one = async () => {
    const r = await litNodeClient.executeJs({ code: SEED_ACTION, sessionSigs, jsParams });
    if (!r.signatures?.sig1?.signature) fail(`no signature "sig1": ${JSON.stringify(r.signatures)}`);
  };
  const out = await benchCalls(one, n, c);
  console.log(`sdkbench: ${JSON.stringify(out)}`);
}

main().catch((e) => fail(`the SDK threw: ${e?.stack || JSON.stringify(e)}`));
