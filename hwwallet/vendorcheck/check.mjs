// Drives one litsigner emulator with the vendor's own host library and
// prints what the library got as one JSON object on stdout:
//
//   node check.mjs ledger --address 127.0.0.1:PORT --vectors FILE --mnemonic NAME [--reject] [--long-hex HEX]
//   node check.mjs trezor --address 127.0.0.1:PORT --vectors FILE --mnemonic NAME [--reject]
//   node check.mjs trezor --thp --credentials FILE --address ... --vectors FILE --mnemonic NAME
//
// trezor --thp drives a THP device (Trezor Safe 7) with connect's THP
// settings: when the device needs pairing, connect asks for the code
// (ui-request_thp_pairing) and this script reads it as one line on stdin
// (the Go test copies it from the emulator's {"pairingCode"} line); the
// credential connect issues (device-thp_credentials_changed) is written to
// --credentials, and a later run that finds that file passes it back as
// thp.staticKey/knownCredentials so that connect reconnects without a code.
//
// ledger: @ledgerhq/hw-app-eth over @ledgerhq/hw-transport-node-speculos.
// trezor: @trezor/connect (in-process core, node) over @trezor/transport's
// UDP transport, pointed at --address instead of its fixed 127.0.0.1:21324.
//
// For the vectors of mnemonic NAME it derives every address and signs every
// personal message of the vector file; the Go test (vendorcheck_test.go)
// compares the results with the vectors. With --reject it expects the
// device to refuse and reports the library's own error. It does no
// checking of its own beyond "the call returned": the Go side judges.
//
// Network: only loopback may be contacted. Any other connection attempt
// (fetch, http, raw TCP, UDP) is refused here and listed in "blocked", and
// the Go test fails when that list is not empty.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import readline from 'node:readline';
import net from 'node:net';
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';

// ---- network guard, installed before any library is loaded ----
const blocked = [];
const isLoopback = (host) => {
	if (host === undefined || host === null || host === '' || host === 'localhost') return true;
	const h = String(host).replace(/^\[|\]$/g, '');
	return h === '::1' || /^127\./.test(h) || h === '::ffff:127.0.0.1';
};
const refuse = (what) => {
	blocked.push(what);
	return new Error(`vendorcheck: network access refused (loopback only): ${what}`);
};
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
	const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
	if (!isLoopback(url.hostname)) throw refuse(`fetch ${url.href}`);
	return realFetch(input, init);
};
const realConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
	const opts = args[0];
	let host;
	if (typeof opts === 'object' && opts !== null && !Array.isArray(opts)) {
		host = opts.path ? 'localhost' : opts.host;
	} else if (typeof args[1] === 'string') {
		host = args[1];
	}
	if (!isLoopback(host)) {
		const err = refuse(`tcp ${host}:${typeof opts === 'object' ? opts.port : opts}`);
		process.nextTick(() => this.destroy(err));
		return this;
	}
	return realConnect.apply(this, args);
};
const realSend = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function (...args) {
	// send(msg[, offset, length], port[, address][, callback])
	const addr = args.find((a, i) => i > 0 && typeof a === 'string');
	if (!isLoopback(addr)) {
		const err = refuse(`udp ${addr}`);
		const cb = args.find((a) => typeof a === 'function');
		if (cb) process.nextTick(() => cb(err));
		return;
	}
	return realSend.apply(this, args);
};

// ---- arguments ----
const { values: opt, positionals } = parseArgs({
	allowPositionals: true,
	options: {
		address: { type: 'string' },
		vectors: { type: 'string' },
		mnemonic: { type: 'string' },
		reject: { type: 'boolean', default: false },
		'long-hex': { type: 'string' },
		thp: { type: 'boolean', default: false },
		credentials: { type: 'string' },
	},
});
const device = positionals[0];
if (!['ledger', 'trezor'].includes(device) || !opt.address || !opt.vectors || !opt.mnemonic) {
	console.error('usage: node check.mjs ledger|trezor --address HOST:PORT --vectors FILE --mnemonic NAME [--reject] [--long-hex HEX]');
	process.exit(2);
}
const [host, portText] = [opt.address.slice(0, opt.address.lastIndexOf(':')), opt.address.slice(opt.address.lastIndexOf(':') + 1)];
const port = Number.parseInt(portText, 10);
const vectors = JSON.parse(readFileSync(opt.vectors, 'utf8'));
const paths = (vectors.addresses ?? []).filter((a) => a.mnemonic === opt.mnemonic).map((a) => a.path);
// Every personal message in the file, signed with this mnemonic's seed:
// the device's RFC 6979 signatures do not depend on the vendor.
const messages = [];
for (const v of vectors.ledger_personal_sign ?? []) messages.push({ path: v.path, hex: Buffer.from(v.message, 'utf8').toString('hex') });
for (const v of vectors.trezor_sign_message ?? []) messages.push({ path: v.path, hex: Buffer.from(v.message, 'utf8').toString('hex') });
for (const v of vectors.ledger_apdus ?? []) messages.push({ path: v.path, hex: Buffer.from(v.message, 'utf8').toString('hex') });
if (opt['long-hex']) messages.push({ path: "m/44'/60'/0'/0/0", hex: opt['long-hex'] });

if (opt.thp && (device !== 'trezor' || !opt.credentials)) {
	console.error('usage: --thp is for trezor, with --credentials FILE');
	process.exit(2);
}
const out = { device, library: {}, addresses: [], signatures: [], rejected: null, blocked, offline: [], events: [], pairingCodesTyped: 0 };
const describe = (e) => ({
	name: e?.name, message: e?.message, statusCode: e?.statusCode, statusText: e?.statusText, code: e?.code,
});

// ---- Ledger ----
async function runLedger() {
	const require = (await import('node:module')).createRequire(import.meta.url);
	out.library = {
		'@ledgerhq/hw-app-eth': require('@ledgerhq/hw-app-eth/package.json').version,
		'@ledgerhq/hw-transport-node-speculos': require('@ledgerhq/hw-transport-node-speculos/package.json').version,
	};
	const SpeculosTransport = require('@ledgerhq/hw-transport-node-speculos').default;
	const Eth = require('@ledgerhq/hw-app-eth').default;
	const transport = await SpeculosTransport.open({ apduPort: port, host });
	try {
		const eth = new Eth(transport);
		out.appConfiguration = await eth.getAppConfiguration();
		if (opt.reject) {
			try {
				await eth.signPersonalMessage("44'/60'/0'/0/0", Buffer.from('reject me').toString('hex'));
			} catch (e) {
				out.rejected = describe(e);
			}
			return;
		}
		for (const path of paths) {
			const a = await eth.getAddress(path.replace(/^m\//, ''), false, true, '1');
			out.addresses.push({ path, address: a.address, publicKey: a.publicKey, chainCode: a.chainCode });
		}
		// Once on screen too: the confirmation flow of a shown address.
		if (paths.length > 0) {
			const a = await eth.getAddress(paths[0].replace(/^m\//, ''), true);
			out.addresses.push({ path: paths[0], address: a.address, shown: true });
		}
		for (const m of messages) {
			const s = await eth.signPersonalMessage(m.path.replace(/^m\//, ''), m.hex);
			const v = (typeof s.v === 'number' ? s.v : Number.parseInt(s.v, 16)).toString(16).padStart(2, '0');
			out.signatures.push({ path: m.path, messageHex: m.hex, signature: s.r + s.s + v });
		}
	} finally {
		await transport.close();
	}
}

// ---- Trezor ----
async function runTrezor() {
	const require = (await import('node:module')).createRequire(import.meta.url);
	out.library = {
		'@trezor/connect': require('@trezor/connect/package.json').version,
		'@trezor/transport': require('@trezor/transport/package.json').version,
	};
	// ethereumSignMessage (9.7.3, api/ethereum/ethereumDefinitions.js)
	// always asks data.trezor.io for the signed network definition of the
	// path's slip44 through cross-fetch, with no setting to skip it, and
	// treats a 404 as "no definition" (Ethereum itself is built into the
	// firmware). Answer those requests here with 404, as an offline
	// definitions source would; they are listed in "offline". Any other
	// request still goes through the guard above. This must happen before
	// connect is loaded: it keeps its own reference to cross-fetch.
	const connectRequire = (await import('node:module')).createRequire(require.resolve('@trezor/connect'));
	const crossFetchPath = connectRequire.resolve('cross-fetch');
	const realCrossFetch = connectRequire('cross-fetch');
	const offlineFetch = async (input, init) => {
		const url = String(typeof input === 'string' || input instanceof URL ? input : input.url);
		if (url.startsWith('https://data.trezor.io/firmware/eth-definitions/')) {
			out.offline.push(url);
			return new Response(null, { status: 404 });
		}
		return realCrossFetch(input, init);
	};
	Object.assign(offlineFetch, realCrossFetch, { default: offlineFetch, fetch: offlineFetch });
	connectRequire.cache[crossFetchPath].exports = offlineFetch;

	const TrezorConnect = require('@trezor/connect').default;
	const { UdpTransport } = require('@trezor/transport');
	const { DEVICE_TYPE } = require('@trezor/transport/lib/constants');
	const path = `${host}:${port}`;

	// At init, connect fetches https://data.trezor.io/firmware/config/releases.v1.json
	// and falls back to the release list bundled in @trezor/connect-common
	// when that fails; 9.7.3 has no setting to skip the attempt. Its own
	// local-only path (DataManager.load's onlyLocalFirmwareConfig, used by
	// its tests) skips it, so take that one: the bundled list is what an
	// offline machine gets anyway.
	const { DataManager } = require('@trezor/connect/lib/data/DataManager');
	const load = DataManager.load.bind(DataManager);
	DataManager.load = (settings, withAssets = true) => load(settings, withAssets, true);

	// The stock UDP transport only looks at 127.0.0.1:21324; this one looks
	// at --address, with the same ping-based enumeration.
	class AddressedUdpTransport extends UdpTransport {
		constructor(params) {
			super(params);
			const api = this.api;
			api.enumerate = async function (signal) {
				try {
					const pinged = await api.ping(path, signal);
					const found = pinged ? [{ path, type: DEVICE_TYPE.TypeEmulator, product: 0, vendor: 0, id: path, apiType: api.type }] : [];
					api.handleDevicesChange(found);
					return api.success(found);
				} catch {
					api.handleDevicesChange([]);
					return api.error({ error: 'Aborted by signal' });
				}
			};
		}
	}

	// The firmware revision check needs no network for the version the
	// emulator reports (2.8.9, bundled in @trezor/connect-common); connect
	// notes a revision mismatch and "firmware outdated" and carries on.
	const { UI, UI_EVENT, DEVICE_EVENT, DEVICE } = require('@trezor/connect');
	let thp;
	if (opt.thp) {
		const known = existsSync(opt.credentials) ? JSON.parse(readFileSync(opt.credentials, 'utf8')) : null;
		out.reconnect = known !== null;
		thp = {
			hostName: 'vendorcheck', appName: 'litsigner vendorcheck', pairingMethods: ['CodeEntry'],
			...(known ? { staticKey: known.staticKey, knownCredentials: known.knownCredentials } : {}),
		};
		const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
		TrezorConnect.on(UI_EVENT, (ev) => {
			out.events.push(ev.type);
			if (ev.type === UI.SELECT_DEVICE) {
				// An unpaired THP device is "unacquired": pick it, as a user would.
				TrezorConnect.uiResponse({ type: UI.RECEIVE_DEVICE, payload: { device: ev.payload.devices[0], remember: false } });
			}
			if (ev.type === UI.REQUEST_THP_PAIRING) {
				// The user reads the code off the device's screen.
				lines.next().then(({ value, done }) => {
					if (done) return;
					out.pairingCodesTyped++;
					TrezorConnect.uiResponse({ type: UI.RECEIVE_THP_PAIRING_TAG, payload: { tag: value.trim() } });
				});
			}
		});
		TrezorConnect.on(DEVICE_EVENT, (ev) => {
			out.events.push(ev.type);
			if (ev.type === DEVICE.THP_CREDENTIALS_CHANGED) {
				writeFileSync(opt.credentials, JSON.stringify({ staticKey: ev.payload.staticKey, knownCredentials: [ev.payload.credentials] }), { mode: 0o600 });
			}
		});
	}
	await TrezorConnect.init({
		...(thp ? { thp } : {}),
		manifest: { appName: 'litsigner vendorcheck', email: 'vendorcheck@litsigner.invalid', appUrl: 'http://127.0.0.1/' },
		transports: [AddressedUdpTransport],
		transportReconnect: false,
		pendingTransportEvent: true,
		lazyLoad: false,
		popup: false,
		debug: process.env.VENDORCHECK_DEBUG === '1',
		// The firmware hash check downloads the release binary to compare
		// hashes with the device: never here (no network, and an emulator
		// runs no released binary).
		enableFirmwareHashCheck: false,
	});
	try {
		const call = async (what, p) => {
			const r = await p;
			if (!r.success) {
				const e = new Error(`${what}: ${r.payload?.error}`);
				e.code = r.payload?.code;
				throw e;
			}
			return r.payload;
		};
		if (opt.reject) {
			const r = await TrezorConnect.ethereumSignMessage({ path: "m/44'/60'/0'/0/0", message: 'reject me' });
			if (r.success) throw new Error('ethereumSignMessage succeeded on a device that rejects');
			out.rejected = { message: r.payload.error, code: r.payload.code };
			return;
		}
		for (const p of paths) {
			const a = await call('ethereumGetAddress', TrezorConnect.ethereumGetAddress({ path: p, showOnTrezor: false }));
			out.addresses.push({ path: p, address: a.address });
		}
		// Once on screen too: the confirmation flow (ButtonRequest) of a shown address.
		if (paths.length > 0) {
			const a = await call('ethereumGetAddress', TrezorConnect.ethereumGetAddress({ path: paths[0], showOnTrezor: true }));
			out.addresses.push({ path: paths[0], address: a.address, shown: true });
		}
		for (const m of messages) {
			const s = await call('ethereumSignMessage', TrezorConnect.ethereumSignMessage({ path: m.path, message: m.hex, hex: true }));
			out.signatures.push({ path: m.path, messageHex: m.hex, signature: s.signature.replace(/^0x/, ''), address: s.address });
		}
	} finally {
		await TrezorConnect.dispose();
	}
}

try {
	await (device === 'ledger' ? runLedger() : runTrezor());
} catch (e) {
	console.error(`vendorcheck: ${device}:`, e?.stack ?? e);
	out.error = describe(e);
}
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(out.error ? 1 : 0);
