// SPDX-License-Identifier: MIT
// A plain Node.js WebSocket client (the `ws` package, one process, one event loop) that holds the
// conversation of bench/drive's throughput scenario against voxtrackd (docs/protocol.md): connect
// with ?user_id=…&persisted=1, wait for session.started, send K user.message frames one at a time,
// each answered by the agent.message whose reply_to is its id, then session.end, session.ended and
// the server's close. C sessions are open at once until S are done. Prints one JSON object.
//
//   node ws-client.mjs --url ws://127.0.0.1:8787/v1/conversation --sessions 2000 --concurrency 200 \
//       --turns 20 [--text "What's the price of Tesla?"] [--user-prefix node-] [--time-cap-seconds 300]
//
// Exit codes: 0 every session completed, 1 some failed, 2 could not run (bad arguments).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

function usage(message) {
    process.stderr.write(`ws-client: ${message}\n`);
    process.exit(2);
}

function parseArguments(argv) {
    const options = {
        url: '',
        sessions: 2000,
        concurrency: 200,
        turns: 20,
        text: "What's the price of Tesla?",
        userPrefix: 'node-',
        timeCapSeconds: 300,
    };
    const integers = { '--sessions': 'sessions', '--concurrency': 'concurrency', '--turns': 'turns' };
    for (let i = 0; i < argv.length; ++i) {
        const name = argv[i];
        const value = argv[i + 1];
        if (name === '--help' || name === '-h') {
            process.stdout.write('usage: ws-client.mjs --url WS_URL [--sessions S] [--concurrency C] [--turns K] '
                + '[--text TEXT] [--user-prefix P] [--time-cap-seconds T]\n');
            process.exit(0);
        }
        if (value === undefined)
            usage(`${name} needs a value.`);
        ++i;
        if (name in integers) {
            const number = Number(value);
            if (!Number.isInteger(number) || number < 1)
                usage(`${name} takes a whole number of at least 1, not "${value}".`);
            options[integers[name]] = number;
        } else if (name === '--time-cap-seconds') {
            const number = Number(value);
            if (!Number.isFinite(number) || number <= 0)
                usage(`--time-cap-seconds takes a positive number, not "${value}".`);
            options.timeCapSeconds = number;
        } else if (name === '--url') {
            options.url = value;
        } else if (name === '--text') {
            if (value === '')
                usage('--text must not be empty.');
            options.text = value;
        } else if (name === '--user-prefix') {
            options.userPrefix = value;
        } else {
            usage(`unknown option ${name}.`);
        }
    }
    if (!options.url)
        usage('--url is required, such as ws://127.0.0.1:8787/v1/conversation.');
    try {
        const parsed = new URL(options.url);
        if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:')
            throw new Error('not ws');
    } catch {
        usage(`--url takes a ws:// or wss:// URL, not "${options.url}".`);
    }
    options.concurrency = Math.min(options.concurrency, options.sessions);
    return options;
}

const options = parseArguments(process.argv.slice(2));

// The K user.message frames are the same for every session: encode them once.
const turnIds = Array.from({ length: options.turns }, (_, i) => `m${i + 1}`);
const turnFrames = turnIds.map((id) => JSON.stringify({ type: 'user.message', id, content: options.text }));
const endFrame = JSON.stringify({ type: 'session.end' });

const errors = Object.create(null);
function countError(code) {
    errors[code] = (errors[code] || 0) + 1;
}

// Reply latencies (user.message sent → its agent.message received), in ms.
const latencies = new Float64Array(options.sessions * options.turns);
let roundTrips = 0;
let started = 0; // sessions whose connection was opened
let completed = 0;
let open = 0;
let finished = false;
const live = new Set();

const wallStart = performance.now();

function sessionUrl(index) {
    const url = new URL(options.url);
    url.searchParams.set('user_id', `${options.userPrefix}${index}`);
    url.searchParams.set('persisted', '1');
    return url.toString();
}

function startSession() {
    const index = started++;
    ++open;
    const socket = new WebSocket(sessionUrl(index), { perMessageDeflate: false });
    const session = { socket, turn: -1, sentAt: 0, ended: false, erred: false, cause: null };
    live.add(session);

    const sendTurn = () => {
        session.turn += 1;
        if (session.turn < options.turns) {
            session.sentAt = performance.now();
            socket.send(turnFrames[session.turn]);
        } else {
            socket.send(endFrame);
        }
    };

    socket.on('message', (data, isBinary) => {
        if (isBinary) {
            countError('client.unexpected_binary');
            session.erred = true;
            return;
        }
        let frame;
        try {
            frame = JSON.parse(data);
        } catch {
            countError('client.bad_json');
            session.erred = true;
            return;
        }
        switch (frame.type) {
        case 'agent.message':
            if (session.turn >= 0 && session.turn < options.turns && frame.reply_to === turnIds[session.turn]) {
                latencies[roundTrips++] = performance.now() - session.sentAt;
                sendTurn();
            }
            break;
        case 'message.ack':
        case 'message.persisted':
            break;
        case 'session.started':
            if (session.turn === -1)
                sendTurn();
            break;
        case 'session.ended':
            session.ended = true; // the server closes next
            if (session.turn < options.turns) {
                // Ended by the server (timeout, server_shutdown) before the conversation was done.
                countError(`client.ended_${typeof frame.reason === 'string' ? frame.reason : 'early'}`);
                session.erred = true;
            }
            break;
        case 'error':
            countError(typeof frame.code === 'string' ? frame.code : 'error');
            session.erred = true;
            // A refused message gets no reply: go on with the next turn rather than wait forever.
            if (session.turn >= 0 && session.turn < options.turns && frame.ref === turnIds[session.turn])
                sendTurn();
            break;
        default:
            break;
        }
    });

    socket.on('error', (error) => {
        if (!session.cause)
            session.cause = `client.${error.code || 'socket_error'}`;
    });

    socket.on('close', (code) => {
        if (!live.delete(session))
            return; // already counted (time cap)
        --open;
        if (!session.ended) {
            // An error frame that came first (server.busy, auth.*) already explains the close.
            if (!session.erred || session.cause)
                countError(session.cause || `client.closed_${code}`);
            session.erred = true;
        }
        if (session.ended && !session.erred)
            ++completed;
        if (started < options.sessions && !finished)
            startSession();
        else if (open === 0)
            finish();
    });
}

function peakRssMb() {
    try {
        const status = readFileSync('/proc/self/status', 'latin1');
        const match = /VmHWM:\s+(\d+) kB/.exec(status);
        if (match)
            return Number(match[1]) / 1024;
    } catch {
        // not Linux: the sampled value below
    }
    return sampledPeakRss / (1024 * 1024);
}

let sampledPeakRss = process.memoryUsage.rss();
const sampler = setInterval(() => {
    sampledPeakRss = Math.max(sampledPeakRss, process.memoryUsage.rss());
}, 250);

function percentile(sorted, p) {
    if (sorted.length === 0)
        return null;
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[rank];
}

const round = (value, digits) => (value === null ? null : Number(value.toFixed(digits)));

let capTimer = null;

function finish(timedOut = false) {
    if (finished)
        return;
    finished = true;
    clearTimeout(capTimer);
    clearInterval(sampler);
    const seconds = (performance.now() - wallStart) / 1000;
    const cpu = process.cpuUsage();
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const sorted = latencies.subarray(0, roundTrips).sort();
    const report = {
        client: 'node-ws',
        node: process.version,
        sessions: options.sessions,
        concurrency: options.concurrency,
        turns: options.turns,
        completed,
        failed: options.sessions - completed,
        not_started: options.sessions - started,
        round_trips: roundTrips,
        seconds: round(seconds, 3),
        round_trips_per_second: round(roundTrips / seconds, 1),
        cpu_seconds: round(cpuSeconds, 3),
        cpu_us_per_round_trip: roundTrips > 0 ? round((cpuSeconds * 1e6) / roundTrips, 1) : null,
        peak_rss_mb: round(peakRssMb(), 1),
        latency_ms: {
            p50: round(percentile(sorted, 50), 2),
            p95: round(percentile(sorted, 95), 2),
            p99: round(percentile(sorted, 99), 2),
        },
        timed_out: timedOut,
        errors,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
    process.exitCode = report.failed === 0 ? 0 : 1;
    // Do not wait for sockets the time cap left half closed.
    setImmediate(() => process.exit());
}

capTimer = setTimeout(() => {
    // Everything still open fails with one time_cap error each; sessions never started fail too.
    for (const session of live) {
        countError('client.time_cap');
        session.socket.terminate();
    }
    live.clear();
    open = 0;
    finish(true);
}, options.timeCapSeconds * 1000);

for (let i = 0; i < options.concurrency; ++i)
    startSession();
