// check.mjs: talk to a litsigner socket the way an ethers v6 app would.
//
// Usage: node check.mjs SOCKET [--execute-js PARAMS_JSON] [--timeout MS]
//
// Connects with ethers' IpcSocketProvider, detects the network (eth_chainId),
// reads web3_clientVersion and lit_sessionStatus, and with --execute-js calls
// lit_executeJs with the given params object. Prints one JSON object on
// stdout and exits 0; on any error prints {"error": ...} on stderr and exits
// 1; after the timeout (default 30000 ms) exits 2.
import { IpcSocketProvider } from "ethers";

function usage(msg) {
  process.stderr.write(`check.mjs: ${msg}\nusage: node check.mjs SOCKET [--execute-js PARAMS_JSON] [--timeout MS]\n`);
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

function describe(err) {
  // ethers wraps JSON-RPC errors: the server's code/message are in err.error.
  const out = { message: err?.shortMessage || err?.message || String(err) };
  if (err?.code !== undefined) out.ethersCode = err.code;
  if (err?.error?.code !== undefined) out.rpcCode = err.error.code;
  if (err?.error?.message !== undefined) out.rpcMessage = err.error.message;
  if (err?.error?.data !== undefined) out.rpcData = err.error.data;
  return out;
}

const opts = parseArgs(process.argv.slice(2));
const timer = setTimeout(() => {
  process.stderr.write(JSON.stringify({ error: { message: `timeout after ${opts.timeout} ms` } }) + "\n");
  process.exit(2);
}, opts.timeout);

let provider;
try {
  provider = new IpcSocketProvider(opts.socket);
  // A missing socket surfaces as an 'error' event of the underlying socket.
  provider.socket.on("error", (err) => {
    process.stderr.write(JSON.stringify({ error: describe(err) }) + "\n");
    process.exit(1);
  });
  const network = await provider.getNetwork();
  const result = {
    chainId: network.chainId.toString(),
    clientVersion: await provider.send("web3_clientVersion", []),
    sessionStatus: await provider.send("lit_sessionStatus", []),
  };
  if (opts.executeJs !== undefined) {
    result.executeJs = await provider.send("lit_executeJs", [opts.executeJs]);
  }
  process.stdout.write(JSON.stringify(result) + "\n");
  clearTimeout(timer);
  provider.destroy();
  process.exit(0);
} catch (err) {
  process.stderr.write(JSON.stringify({ error: describe(err) }) + "\n");
  provider?.destroy();
  process.exit(1);
}
