// check-v5.mjs: talk to a litsigner socket the way an ethers v5 app would.
//
// Usage: node check-v5.mjs SOCKET [--execute-js PARAMS_JSON] [--timeout MS]
//
// ethers v5's IpcProvider opens one connection per request, writes it, then
// shuts down its write side (half-close) and reads the reply until the server
// closes. It detects the network (eth_chainId), then calls lit_sessionStatus
// and, with --execute-js, lit_executeJs. v5 resolves a JSON-RPC error reply
// as an undefined result, so a missing result is reported as an error here.
// Prints one JSON object on stdout and exits 0; on any error prints
// {"error": ...} on stderr and exits 1; after the timeout (default 30000 ms)
// exits 2.
import ethers5 from "ethers5";

const { providers } = ethers5;

function usage(msg) {
  process.stderr.write(`check-v5.mjs: ${msg}\nusage: node check-v5.mjs SOCKET [--execute-js PARAMS_JSON] [--timeout MS]\n`);
  process.exit(64);
}

function parseArgs(argv) {
  const opts = { socket: "", executeJs: undefined, timeout: 30000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--execute-js") {
      if (i + 1 >= argv.length) usage("--execute-js needs a JSON argument");
      try {
        opts.executeJs = JSON.parse(argv[++i]);
      } catch (e) {
        usage(`--execute-js: invalid JSON: ${e.message}`);
      }
    } else if (a === "--timeout") {
      opts.timeout = Number(argv[++i]);
      if (!Number.isFinite(opts.timeout) || opts.timeout <= 0) usage("--timeout needs a positive number of ms");
    } else if (a.startsWith("--")) {
      usage(`unknown option ${a}`);
    } else if (!opts.socket) {
      opts.socket = a;
    } else {
      usage(`unexpected argument ${a}`);
    }
  }
  if (!opts.socket) usage("missing SOCKET");
  return opts;
}

async function call(provider, method, params) {
  const result = await provider.send(method, params);
  if (result === undefined) throw new Error(`${method}: no result (the reply was an error or empty)`);
  return result;
}

const opts = parseArgs(process.argv.slice(2));
const timer = setTimeout(() => {
  process.stderr.write(JSON.stringify({ error: { message: `timeout after ${opts.timeout} ms` } }) + "\n");
  process.exit(2);
}, opts.timeout);

try {
  const provider = new providers.IpcProvider(opts.socket);
  const network = await provider.getNetwork();
  const result = {
    ethersVersion: ethers5.version,
    chainId: network.chainId.toString(),
    sessionStatus: await call(provider, "lit_sessionStatus", []),
  };
  if (opts.executeJs !== undefined) {
    result.executeJs = await call(provider, "lit_executeJs", [opts.executeJs]);
  }
  process.stdout.write(JSON.stringify(result) + "\n");
  clearTimeout(timer);
  process.exit(0);
} catch (err) {
  process.stderr.write(JSON.stringify({ error: { message: err?.message || String(err), code: err?.code } }) + "\n");
  process.exit(1);
}
