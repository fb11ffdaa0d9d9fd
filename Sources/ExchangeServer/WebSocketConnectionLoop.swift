import LoopbackPeers
import Model
import Simulation
import WebSocket

/// One upgraded websocket connection, on the thread that owns its socket: reads the client's frames,
/// runs the venue session, and writes recorded frames when they are due, batched into large writes.
/// Everything runs on this one thread (OpenSSL allows no concurrent read and write on one connection);
/// the thread never sleeps past the next due frame, ping, heartbeat or fault change.
final class WebSocketConnectionLoop {
    struct Options {
        var closeAtEnd: Bool
        /// Binance server pings (spot 20 s, futures 3 min upstream).
        var pingIntervalNs: Int64?
        /// Replaces the interval a Deribit client asks for in `public/set_heartbeat` (tests).
        var heartbeatIntervalNs: Int64?
        /// Set when the server stops.
        var stopped: () -> Bool
    }

    private let connection: LoopbackConnection
    private let market: VenueMarket
    private var session: VenueSession
    private let faults: SharedFaults
    private let options: Options
    private let entries: [ServedRecording.Entry]
    /// The shared codec, server role: masked client frames, fragments joined, text checked as UTF-8.
    private var decoder = WebSocketMessageReader(role: .server, maxFramePayload: 1 << 20, maxMessageSize: 1 << 20)
    private var wanted: [Bool]
    private var cursor: Int?
    private var startNs: Int64 = 0
    /// The market's pass this connection joined (`--loop`).
    private var pass = 0
    private var out: [UInt8] = []
    private var nextPingNs: Int64?
    private var pingCount = 0
    private var heartbeatIntervalNs: Int64?
    private var nextHeartbeatNs: Int64?
    private var openedElapsed: Int64
    private var lastElapsed: Int64
    private var latencyPauseUntil: Int64 = 0
    private var latencyWasActive = false
    private var bandwidthFreeAt: Int64 = 0
    private static let batchBytes = 128 * 1024

    init(connection: LoopbackConnection, market: VenueMarket, session: VenueSession, faults: SharedFaults, options: Options) {
        self.connection = connection
        self.market = market
        self.session = session
        self.faults = faults
        self.options = options
        entries = market.recording.entries
        wanted = Array(repeating: false, count: market.recording.keys.count)
        out.reserveCapacity(Self.batchBytes + 65_536)
        let now = MonotonicClock.now()
        openedElapsed = faults.elapsed(now)
        // One-shot faults due at the very moment the connection opened still hit it.
        lastElapsed = openedElapsed == .min ? .min : openedElapsed - 1
        if let interval = options.pingIntervalNs { nextPingNs = now + interval }
    }

    /// Runs until the client leaves, a fault ends the connection, or the server stops.
    func run(target: String, initialBytes: [UInt8]) {
        apply(session.opened(target: target), now: MonotonicClock.now())
        if !initialBytes.isEmpty {
            decoder.append(initialBytes)
            guard drainClient() else { return }
        }
        let plan = faults.snapshot
        while !options.stopped() {
            var now = MonotonicClock.now()
            let elapsed = faults.elapsed(now)
            var stalled = false, withhold = false
            var capRate: Int?
            var latencyShift: Int64 = 0
            if !plan.faults.isEmpty && elapsed != .min {
                for f in plan.oneShots(after: lastElapsed, upTo: elapsed, openedAt: openedElapsed) {
                    if f.kind == .connectionReset {
                        connection.abort()
                    } else {
                        closeHandshake(code: UInt16(clamping: f.code ?? 1001), reason: "fault \(f.kind.rawValue)")
                    }
                    return
                }
                lastElapsed = elapsed
                stalled = plan.window(.connectionStall, at: elapsed) != nil
                withhold = plan.window(.pongWithheld, at: elapsed) != nil
                capRate = plan.window(.bandwidthCap, at: elapsed).map { max(1, $0.bytesPerSecond ?? 1_000) }
                if let latency = plan.window(.messageDelay, at: elapsed) {
                    let delay = latency.delay ?? 100_000_000
                    if market.clock.isMax {
                        if !latencyWasActive { latencyPauseUntil = now + delay }
                    } else {
                        latencyShift = delay
                    }
                    latencyWasActive = true
                } else {
                    latencyWasActive = false
                }
            }
            // Keepalives due.
            if let at = nextPingNs, now >= at {
                if !withhold { appendControl(opcode: 0x9, payload: Array("\(pingCount)".utf8)) }
                pingCount += 1
                nextPingNs = now + (options.pingIntervalNs ?? 20_000_000_000)
            }
            if let at = nextHeartbeatNs, let interval = heartbeatIntervalNs, now >= at {
                if !withhold { appendText(VenueSession.deribitTestRequest) }
                nextHeartbeatNs = now + interval
            }
            // Recorded frames due.
            var more = false
            if !stalled, now >= latencyPauseUntil, var c = cursor {
                more = fill(&c, now: now, shift: latencyShift, single: capRate != nil)
                cursor = c
                market.reached(c, pass: pass)
            }
            if !stalled && !out.isEmpty {
                if let rate = capRate {
                    if bandwidthFreeAt > now { MonotonicClock.sleep(nanoseconds: bandwidthFreeAt - now) }
                    bandwidthFreeAt = max(now, bandwidthFreeAt) + Int64(out.count) * 1_000_000_000 / Int64(rate)
                }
                guard connection.write(out) else { return }
                out.removeAll(keepingCapacity: true)
            }
            if options.closeAtEnd || market.loops, let c = cursor, c >= entries.count, out.isEmpty, !stalled {
                if market.loops {
                    market.passEnded(pass)
                    closeHandshake(code: 1012, reason: "end of recording; it starts over")
                } else {
                    closeHandshake(code: 1000, reason: "end of recording")
                }
                return
            }
            // Wait for the client or the next thing due.
            now = MonotonicClock.now()
            var wake = now + 50_000_000
            if more && !stalled && now >= latencyPauseUntil { wake = now }
            if let c = cursor, c < entries.count, !market.clock.isMax {
                wake = min(wake, market.clock.due(wallNs: entries[c].wallNs, startNs: startNs) + latencyShift)
            }
            if latencyPauseUntil > now { wake = min(wake, latencyPauseUntil) }
            if let p = nextPingNs { wake = min(wake, p) }
            if let h = nextHeartbeatNs { wake = min(wake, h) }
            if elapsed != .min, let change = plan.nextChange(after: elapsed) { wake = min(wake, now + (change - elapsed)) }
            let waitMs = wake <= now ? 0 : Int((wake - now + 999_999) / 1_000_000)
            if connection.waitReadable(timeoutMilliseconds: waitMs) {
                let bytes = connection.read()
                if bytes.isEmpty { return }
                decoder.append(bytes)
                guard drainClient() else { return }
            }
        }
        closeHandshake(code: 1001, reason: "server stopping")
    }

    /// Appends frames due by `now` from `c` on; true when more are due right away (the batch filled up).
    private func fill(_ c: inout Int, now: Int64, shift: Int64, single: Bool) -> Bool {
        let isMax = market.clock.isMax
        let raw = session.route.binanceRaw
        return market.recording.bytes.withUnsafeBufferPointer { bytes in
            while c < entries.count {
                let e = entries[c]
                if !isMax && market.clock.due(wallNs: e.wallNs, startNs: startNs) + shift > now { return false }
                if out.count >= Self.batchBytes { return true }
                c += 1
                guard e.key >= 0, wanted[Int(e.key)] else { continue }
                var range = e.offset..<(e.offset + e.count)
                if raw && e.dataEnd > e.dataStart { range = (e.offset + Int(e.dataStart))..<(e.offset + Int(e.dataEnd)) }
                WebSocketFrameCodec.appendServerFrameHeader(opcode: 0x1, payloadCount: range.count, into: &out)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[range]))
                if single { return c < entries.count }
            }
            return false
        }
    }

    /// Handles every complete client message; false when the connection is over.
    private func drainClient() -> Bool {
        while true {
            let message: WebSocketMessage?
            do { message = try decoder.next() } catch {
                closeHandshake(code: error.closeCode, reason: "\(error)")
                return false
            }
            guard let message else { return true }
            let now = MonotonicClock.now()
            switch message {
            case .text(let text):
                apply(session.received(text: text), now: now)
            case .binary, .pong:
                break
            case .ping(let payload):
                let elapsed = faults.elapsed(now)
                if elapsed == .min || faults.snapshot.window(.pongWithheld, at: elapsed) == nil { appendControl(opcode: 0xA, payload: payload) }
            case .close(let code, _):
                var payload: [UInt8] = []
                if let code { payload = [UInt8(code >> 8), UInt8(code & 0xFF)] }
                appendControl(opcode: 0x8, payload: payload)
                connection.write(out)
                return false
            }
        }
    }

    private func apply(_ effects: [VenueSession.Effect], now: Int64) {
        for effect in effects {
            switch effect {
            case .send(let frame):
                appendText(frame)
            case .keepalive(let frame):
                let elapsed = faults.elapsed(now)
                if elapsed == .min || faults.snapshot.window(.pongWithheld, at: elapsed) == nil { appendText(frame) }
            case .subscribe(let keys):
                for k in keys { if let i = market.recording.keyIndex[k] { wanted[Int(i)] = true } }
                if cursor == nil {
                    let joined = market.join(nowNs: now)
                    startNs = joined.startNs
                    cursor = joined.index
                    pass = joined.pass
                }
                let (frames, continueAt) = market.subscriptionSnapshots(keys: keys, cursor: cursor ?? 0)
                for f in frames { appendText(f) }
                cursor = continueAt
            case .unsubscribe(let keys):
                for k in keys { if let i = market.recording.keyIndex[k] { wanted[Int(i)] = false } }
            case .heartbeats(let seconds):
                heartbeatIntervalNs = seconds > 0 ? (options.heartbeatIntervalNs ?? Int64(seconds) * 1_000_000_000) : nil
                nextHeartbeatNs = heartbeatIntervalNs.map { now + $0 }
            }
        }
    }

    private func appendText(_ payload: [UInt8]) { appendControl(opcode: 0x1, payload: payload) }

    private func appendControl(opcode: UInt8, payload: [UInt8]) {
        WebSocketFrameCodec.appendServerFrameHeader(opcode: opcode, payloadCount: payload.count, into: &out)
        out.append(contentsOf: payload)
    }

    /// Sends a close frame with `code`, waits briefly for the client's, and lets the caller drop the socket.
    private func closeHandshake(code: UInt16, reason: String) {
        appendControl(opcode: 0x8, payload: [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8.prefix(120)))
        guard connection.write(out) else { return }
        out.removeAll()
        let deadline = MonotonicClock.now() + 1_000_000_000
        while MonotonicClock.now() < deadline {
            guard connection.waitReadable(timeoutMilliseconds: 100) else { continue }
            let bytes = connection.read()
            if bytes.isEmpty { return }
            decoder.append(bytes)
            while let message = try? decoder.next() { if case .close = message { return } }
        }
    }
}
