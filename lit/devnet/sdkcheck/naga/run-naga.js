// run-naga.js: the real Lit JS SDK 8.3.1 (Naga: @lit-protocol/lit-client 8.3.1,
// networks 8.4.1, auth 8.2.3) against litsigner's Naga devnet, adapted from the
// capture harness in shared/fixtures/lit-sdk-8.3.1/harness/run-v8.js.
//
// It connects with nagaLocal.withLocalContext (a networkContext.json generated
// here from the SDK's own published ABIs, pointed at the devnet's chain),
// answers the SDK's hard-coded block-indexer fetch locally and refuses every
// other non-loopback fetch, then runs:
//   1. an EOA session (viem account, SIWE + ReCap via personal_sign) and signEcdsa;
//   2. several signatures in one action;
//   3. an action that throws: executeJs must reject with the action's message;
//   4. with --ipfs FILE: a session limited to FILE's CID (computed with the SDK's
//      own typestub-ipfs-only-hash) running it by ipfsId, and refused for other code.
// Every signature is verified against the PKP with @noble/curves. With --dump FILE
// it writes, for each signature, the exact share strings the SDK's wasm combined
// and what the wasm returned, so that the Go test can combine the same shares.
//
// With --bench N [--concurrency C], instead of the checks, it runs the seed action
// (../actions/seed.js) N times, C calls at a time, after 5 warm-up calls, under one
// session, and prints "sdkbench: {calls, cpuUs, elapsedMs, p50Ms, p99Ms}", cpuUs being
// this process's CPU time over the timed calls (BenchmarkRealSDKNaga reads the line).
// Its handshakes may then take up to --timeout-ms (see below).
//
// Usage: node run-naga.js --announcement devnet.json [--dump out.json] [--ipfs ../actions/seed.js] [--timeout-ms N]
//        node run-naga.js --announcement devnet.json --bench N [--concurrency C] [--timeout-ms N]
// Exit status: 0 all checks passed, 1 a check failed or the SDK threw, 2 usage.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { parseArgs } = require('util');

let opts;
try {
  opts = parseArgs({
    options: {
      announcement: { type: 'string' },
      dump: { type: 'string' },
      ipfs: { type: 'string' },
      bench: { type: 'string' },
      concurrency: { type: 'string', default: '1' },
      'timeout-ms': { type: 'string', default: '180000' },
    },
  }).values;
  if (!opts.announcement) throw new Error('--announcement is required');
  if (opts.bench !== undefined && !(Number(opts.bench) > 0 && Number(opts.concurrency) > 0)) {
    throw new Error('--bench and --concurrency need positive counts');
  }
} catch (e) {
  console.error('usage:', e.message);
  process.exit(2);
}
const ann = JSON.parse(fs.readFileSync(opts.announcement, 'utf8'));
if (ann.protocol !== 'naga' || !ann.chain || !ann.pkps || !ann.pkps.length) {
  console.error('usage: the announcement is not a Naga devnet line');
  process.exit(2);
}
const timer = setTimeout(() => { console.error('FAILED: timed out'); process.exit(1); }, Number(opts['timeout-ms']));
timer.unref();

// A test key (address 0x14791697260E4c9A71f18484C9f997B308e59325): never fund it.
const WALLET_KEY = '0x0123456789012345678901234567890123456789012345678901234567890123';
const PKP = ann.pkps[0];

// --- fetch: answer the block indexer, refuse anything that is not loopback ---
const blocked = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init = {}) => {
  const url = typeof input === 'string' ? input : input.url;
  if (url.startsWith('https://block-indexer.litgateway.com/')) {
    const reply = { blockhash: '0x' + 'cd'.repeat(32), timestamp: Math.floor(Date.now() / 1000) };
    return new Response(JSON.stringify(reply), { status: 200, headers: { 'content-type': 'application/json' } });
  }
  let host = '';
  try { host = new URL(url).hostname; } catch { /* not a URL: refused below */ }
  if (!/^127\.\d+\.\d+\.\d+$/.test(host) && host !== 'localhost' && host !== '[::1]') {
    blocked.push(url);
    console.error('sdkcheck: BLOCKED a non-loopback fetch:', url);
    throw new Error('sdkcheck: refused non-loopback fetch ' + url);
  }
  return realFetch(input, init);
};

// --- record what the wasm combines: the exact share strings and its result ---
const combines = [];
const cryptoLib = require('@lit-protocol/crypto/src/lib/crypto');
const realCombine = cryptoLib.combineExecuteJsNodeShares;
cryptoLib.combineExecuteJsNodeShares = async (shares) => {
  const out = await realCombine(shares);
  combines.push({ sigName: shares[0] && shares[0].sigName, shares: shares.map((s) => s.signatureShare), combined: out });
  return out;
};

// networkContext.json for withLocalContext: the SDK's published naga-dev ABIs
// (complete method and event sets) at the naga-local addresses the devnet serves.
function writeNetworkContext(dir) {
  const { nagaDevSignatures } = require('@lit-protocol/contracts');
  // Not in the package's exports map: load the file itself.
  const local = require(path.join(__dirname, 'node_modules/@lit-protocol/networks/src/networks/vNaga/envs/naga-local/generated/naga-develop.js')).signatures;
  const ctx = {};
  for (const [name, c] of Object.entries(nagaDevSignatures)) {
    if (!local[name]) continue;
    ctx[name] = { address: local[name].address, abi: [...Object.values(c.methods), ...(c.events || [])] };
  }
  for (const [name, addr] of Object.entries(ann.chain.contracts)) {
    if (!ctx[name] || ctx[name].address.toLowerCase() !== addr.toLowerCase()) {
      throw new Error(`the devnet serves ${name} at ${addr}, the SDK's naga-local has ${ctx[name] && ctx[name].address}`);
    }
  }
  const file = path.join(dir, 'networkContext.json');
  fs.writeFileSync(file, JSON.stringify(ctx));
  return file;
}

const hexOf = (b) => Buffer.from(b).toString('hex');
const digestOf = (s) => Array.from(crypto.createHash('sha256').update(s).digest());

function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
  console.log('sdkcheck: ok -', what);
}

// bench runs the seed action n times, c calls at a time (../benchloop.cjs), and
// prints this process's CPU time over the timed calls and the latencies. Each
// result must hold a signature "sig1"; only the warm-up ones are verified here,
// so that the figures are the SDK's own work.
async function bench(litClient, authContext, n, c) {
  const { secp256k1 } = require('@noble/curves/secp256k1');
  const { benchCalls } = require('../benchloop.cjs');
  const code = fs.readFileSync(path.join(__dirname, '..', 'actions', 'seed.js'), 'utf8');
  const toSign = digestOf('sdkbench');
  const jsParams = { toSign, publicKey: PKP.publicKey, sigName: 'sig1' };
  const one = async (warmUp) => {
    const res = await litClient.executeJs({ code, authContext, jsParams });
    const sig = res.signatures && res.signatures.sig1;
    if (!sig || !sig.signature) throw new Error('sdkbench: no signature "sig1": ' + JSON.stringify(res.signatures));
    if (warmUp && !secp256k1.verify(sig.signature.replace(/^0x/, '').slice(0, 128), Buffer.from(toSign), PKP.publicKey)) {
      throw new Error('sdkbench: sig1 does not verify against the PKP');
    }
  };
  console.log('sdkbench: ' + JSON.stringify(await benchCalls(one, n, c)));
}

(async () => {
  const { secp256k1 } = require('@noble/curves/secp256k1');
  const { nagaLocal } = require('@lit-protocol/networks');
  const { createLitClient } = require('@lit-protocol/lit-client');
  const { createAuthManager, storagePlugins } = require('@lit-protocol/auth');
  const { privateKeyToAccount } = require('viem/accounts');

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sdkcheck-naga-'));
  const network = nagaLocal.withLocalContext({
    networkContextPath: writeNetworkContext(tmp), networkName: 'naga-develop', rpcUrlOverride: ann.chain.rpcUrl,
  });
  if (opts.bench !== undefined) {
    // Under many calls at once the SDK's own TweetNaCl X25519 blocks its
    // event loop for tens of seconds, and a periodic handshake then misses
    // its 20 s abort timer ("Could only connect to 6 of 10 nodes") although
    // every node answered at once. The benchmark measures CPU per call, so
    // its handshakes may take as long as the run may (the SDK's
    // connectTimeout; the checks keep the default).
    network.config.abortTimeout = Math.max(network.config.abortTimeout, Number(opts['timeout-ms']));
  }
  const litClient = await createLitClient({ network });
  const ctx = await litClient.getContext();
  const connected = Object.keys(ctx.handshakeResult.serverKeys || {}).length;
  console.log('sdkcheck: connected to', connected, 'nodes, threshold', ctx.handshakeResult.threshold);
  check(ctx.handshakeResult.threshold === ann.threshold, `SDK threshold ${ctx.handshakeResult.threshold} = devnet threshold ${ann.threshold}`);

  const authManager = createAuthManager({
    storage: storagePlugins.localStorageNode({ appName: 'sdkcheck', networkName: 'naga-local', storagePath: path.join(tmp, 'auth') }),
  });
  const account = privateKeyToAccount(WALLET_KEY);
  const authContext = (resources) => authManager.createEoaAuthContext({
    config: { account },
    authConfig: { statement: 'litsigner sdkcheck', domain: 'localhost', resources, expiration: new Date(Date.now() + 3600e3).toISOString() },
    litClient,
  });
  const verify = (sig, digest) => secp256k1.verify(sig.signature.replace(/^0x/, '').slice(0, 128), Buffer.from(digest), PKP.publicKey);

  const runs = [];
  const run = async (name, fn) => {
    const before = combines.length;
    const entry = await fn();
    entry.name = name;
    entry.combines = combines.slice(before);
    runs.push(entry);
  };
  const wildcard = await authContext([['lit-action-execution', '*']]);

  if (opts.bench !== undefined) {
    await bench(litClient, wildcard, Number(opts.bench), Number(opts.concurrency));
    check(blocked.length === 0, 'no fetch left the machine');
    litClient.disconnect();
    fs.rmSync(tmp, { recursive: true, force: true });
    process.exit(0);
  }

  // 1. signEcdsa.
  await run('signEcdsa', async () => {
    const toSign = digestOf('hello lit v8');
    const code = `(async () => {
      await Lit.Actions.signEcdsa({ toSign: new Uint8Array(jsParams.toSign), publicKey: jsParams.publicKey, sigName: jsParams.sigName });
      Lit.Actions.setResponse({ response: JSON.stringify({ ok: true, pk: publicKey.length }) });
    })();`;
    const res = await litClient.executeJs({ code, authContext: wildcard, jsParams: { toSign, publicKey: PKP.publicKey, sigName: 'sig1' } });
    check(res.signatures && res.signatures.sig1 && verify(res.signatures.sig1, toSign), 'signEcdsa: sig1 verifies against the PKP');
    const response = typeof res.response === 'string' ? JSON.parse(res.response) : res.response;
    check(response && response.ok === true && response.pk === PKP.publicKey.length, 'signEcdsa: response (jsParams and globals)');
    return { signatures: res.signatures };
  });

  // 2. several signatures in one action.
  await run('multi', async () => {
    const base = digestOf('multi');
    const code = `(async () => {
      for (let i = 0; i < 5; i++) {
        await LitActions.signEcdsa({ toSign: new Uint8Array([i, ...toSign.slice(1)]), publicKey, sigName: "m" + i });
      }
      console.log("five signatures");
    })();`;
    const res = await litClient.executeJs({ code, authContext: wildcard, jsParams: { toSign: base, publicKey: PKP.publicKey } });
    for (let i = 0; i < 5; i++) {
      check(res.signatures['m' + i] && verify(res.signatures['m' + i], [i, ...base.slice(1)]), `multi: m${i} verifies`);
    }
    check(String(res.logs).includes('five signatures'), 'multi: logs');
    return { signatures: res.signatures };
  });

  // 3. a throwing action.
  await run('throws', async () => {
    let err = null;
    try {
      await litClient.executeJs({ code: 'throw new Error("sdkcheck boom " + n);', authContext: wildcard, jsParams: { n: 42 } });
    } catch (e) {
      err = e;
    }
    const text = err ? String(err.message) + ' ' + JSON.stringify(err.info || {}) : '';
    check(err && text.includes('sdkcheck boom 42'), 'throws: executeJs rejects with the action\'s message');
    return { signatures: {}, error: String(err.message).slice(0, 500) };
  });

  // 4. an ipfsId-scoped session.
  let cid = null;
  if (opts.ipfs) {
    const src = fs.readFileSync(opts.ipfs);
    cid = await require('typestub-ipfs-only-hash').of(src);
    const scoped = await authContext([['lit-action-execution', cid]]);
    await run('ipfs', async () => {
      const toSign = digestOf('ipfs scoped');
      const res = await litClient.executeJs({ ipfsId: cid, authContext: scoped, jsParams: { toSign, publicKey: PKP.publicKey, sigName: 'sig1' } });
      check(res.signatures && res.signatures.sig1 && verify(res.signatures.sig1, toSign), `ipfs: ${cid} signs under a session limited to it`);
      let refused = null;
      try {
        await litClient.executeJs({ code: 'Lit.Actions.setResponse({response: "x"})', authContext: scoped, jsParams: {} });
      } catch (e) {
        refused = e;
      }
      check(refused !== null, 'ipfs: the CID-scoped session is refused for other code');
      return { signatures: res.signatures };
    });
  }

  check(blocked.length === 0, 'no fetch left the machine');
  if (opts.dump) {
    fs.writeFileSync(opts.dump, JSON.stringify({ sdk: '8.3.1', pkp: PKP, cid, connected, runs }, (k, v) => (typeof v === 'bigint' ? v.toString() : v), 1));
  }
  litClient.disconnect();
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log('sdkcheck: OK');
  process.exit(0);
})().catch((e) => {
  console.error('FAILED:', e && (e.stack || e), e && e.info ? JSON.stringify(e.info).slice(0, 2000) : '');
  process.exit(1);
});
