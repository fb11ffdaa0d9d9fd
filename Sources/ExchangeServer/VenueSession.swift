import Foundation
import Model
import Publishing

/// What a venue's server does for one websocket connection, sans-IO: the client's requests in,
/// replies and subscription changes out. The connection loop owns the socket and the clock.
///
/// - Binance: streams named in the URL (`/stream?streams=a/b`, `/ws/<stream>`) or added with
///   `{"method":"SUBSCRIBE","params":[...],"id":N}` (answered `{"result":null,"id":N}`).
/// - OKX: `{"op":"subscribe","args":[{"channel","instId"}]}`, one `{"event":"subscribe","arg":...}` per arg;
///   text `ping` is answered `pong`.
/// - Deribit: JSON-RPC `public/subscribe`, `public/unsubscribe`, `public/set_heartbeat` (then heartbeats
///   with `test_request` every interval), `public/test`.
struct VenueSession {
    enum Effect: Equatable, Sendable {
        /// A protocol reply (ack, JSON-RPC result, error).
        case send([UInt8])
        /// A keepalive answer (OKX `pong`, Deribit `public/test` result): withheld by `connection.withhold_pong`.
        case keepalive([UInt8])
        /// Channel keys (`RecordedFrameKey`) the connection now receives, in request order.
        case subscribe([String])
        case unsubscribe([String])
        /// Deribit heartbeats every `seconds`, from now on (0: off).
        case heartbeats(seconds: Int)
    }

    let route: WebSocketRoute
    var venue: Venue { route.venue }
    /// OKX puts a connection id in its acks.
    let connectionID: String
    private(set) var subscribed: [String] = []

    init(route: WebSocketRoute, connectionNumber: Int) {
        self.route = route
        connectionID = String(format: "%08x", UInt32(truncatingIfNeeded: connectionNumber &* 2_654_435_761))
    }

    /// The connection opened with request target `target`: Binance streams in the URL subscribe at once.
    mutating func opened(target: String) -> [Effect] {
        guard venue == .binance || venue == .binanceFutures else { return [] }
        var names = route.rawStreams
        if let query = target.split(separator: "?", maxSplits: 1).dropFirst().first {
            for pair in query.split(separator: "&") where pair.hasPrefix("streams=") {
                let value = String(pair.dropFirst(8))
                names += (value.removingPercentEncoding ?? value).split(separator: "/").map(String.init)
            }
        }
        return add(names.filter { !$0.isEmpty })
    }

    /// A text message from the client.
    mutating func received(text: [UInt8]) -> [Effect] {
        if venue == .okx && text == Array("ping".utf8) { return [.keepalive(Array("pong".utf8))] }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text))) as? [String: Any] else {
            return [.send(invalidRequest(id: nil, reason: "Invalid JSON"))]
        }
        switch venue {
        case .binance, .binanceFutures: return binance(object)
        case .okx: return okx(object)
        case .deribit: return deribit(object)
        }
    }

    /// Deribit's heartbeat asking for a `public/test`.
    static let deribitTestRequest = Array(#"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}"#.utf8)

    // MARK: Binance

    private mutating func binance(_ object: [String: Any]) -> [Effect] {
        let id = Self.json(object["id"])
        let params = (object["params"] as? [Any])?.compactMap { $0 as? String } ?? []
        switch object["method"] as? String {
        case "SUBSCRIBE":
            return [.send(Array("{\"result\":null,\"id\":\(id)}".utf8))] + add(params)
        case "UNSUBSCRIBE":
            return [.send(Array("{\"result\":null,\"id\":\(id)}".utf8))] + remove(params)
        case "LIST_SUBSCRIPTIONS":
            return [.send(Array("{\"result\":[\(subscribed.map { Self.quoted($0) }.joined(separator: ","))],\"id\":\(id)}".utf8))]
        default:
            return [.send(invalidRequest(id: id, reason: "Invalid request: unknown method"))]
        }
    }

    // MARK: OKX

    private mutating func okx(_ object: [String: Any]) -> [Effect] {
        let op = object["op"] as? String ?? ""
        guard op == "subscribe" || op == "unsubscribe", let args = object["args"] as? [[String: Any]] else {
            return [.send(invalidRequest(id: nil, reason: "Invalid request: op \(op) not served"))]
        }
        var out: [Effect] = []
        var keys: [String] = []
        for arg in args {
            guard let channel = arg["channel"] as? String else {
                out.append(.send(invalidRequest(id: nil, reason: "Invalid request: args need a channel")))
                continue
            }
            var fields: [String] = []
            for name in ["channel", "instType", "instFamily", "instId"] {
                if let value = arg[name] as? String { fields.append("\(Self.quoted(name)):\(Self.quoted(value))") }
            }
            out.append(.send(Array("{\"event\":\"\(op)\",\"arg\":{\(fields.joined(separator: ","))},\"connId\":\"\(connectionID)\"}".utf8)))
            keys.append(RecordedFrameKey.okxKey(channel: channel, instId: arg["instId"] as? String ?? ""))
        }
        return out + (op == "subscribe" ? add(keys) : remove(keys))
    }

    // MARK: Deribit

    private mutating func deribit(_ object: [String: Any]) -> [Effect] {
        let id = Self.json(object["id"])
        let method = object["method"] as? String ?? ""
        let params = object["params"] as? [String: Any] ?? [:]
        func result(_ value: String) -> [UInt8] { Array("{\"jsonrpc\":\"2.0\",\"id\":\(id),\"result\":\(value)}".utf8) }
        switch method {
        case "public/subscribe", "public/unsubscribe":
            let channels = (params["channels"] as? [Any])?.compactMap { $0 as? String } ?? []
            let reply = Effect.send(result("[" + channels.map { Self.quoted($0) }.joined(separator: ",") + "]"))
            let keys = channels.map(RecordedFrameKey.deribitKey(channel:))
            return [reply] + (method == "public/subscribe" ? add(keys) : remove(keys))
        case "public/set_heartbeat":
            let interval = (params["interval"] as? NSNumber)?.intValue ?? 0
            guard interval >= 10 else {
                return [.send(Array("{\"jsonrpc\":\"2.0\",\"id\":\(id),\"error\":{\"code\":10001,\"message\":\"interval must be at least 10\"}}".utf8))]
            }
            return [.send(result("\"ok\"")), .heartbeats(seconds: interval)]
        case "public/disable_heartbeat":
            return [.send(result("\"ok\"")), .heartbeats(seconds: 0)]
        case "public/test":
            return [.keepalive(result("{\"version\":\"1.2.26\"}"))]
        default:
            return [.send(Array("{\"jsonrpc\":\"2.0\",\"id\":\(id),\"error\":{\"code\":-32601,\"message\":\"Method not found\"}}".utf8))]
        }
    }

    // MARK: Subscriptions

    private mutating func add(_ keys: [String]) -> [Effect] {
        let new = keys.filter { !subscribed.contains($0) }
        var unique: [String] = []
        for k in new where !unique.contains(k) { unique.append(k) }
        subscribed += unique
        return unique.isEmpty ? [] : [.subscribe(unique)]
    }

    private mutating func remove(_ keys: [String]) -> [Effect] {
        let gone = subscribed.filter { keys.contains($0) }
        subscribed.removeAll { keys.contains($0) }
        return gone.isEmpty ? [] : [.unsubscribe(gone)]
    }

    private func invalidRequest(id: String?, reason: String) -> [UInt8] {
        switch venue {
        case .binance, .binanceFutures:
            return Array("{\"error\":{\"code\":2,\"msg\":\(Self.quoted(reason))},\"id\":\(id ?? "null")}".utf8)
        case .okx:
            return Array("{\"event\":\"error\",\"code\":\"60012\",\"msg\":\(Self.quoted(reason)),\"connId\":\"\(connectionID)\"}".utf8)
        case .deribit:
            return Array("{\"jsonrpc\":\"2.0\",\"id\":\(id ?? "null"),\"error\":{\"code\":-32600,\"message\":\(Self.quoted(reason))}}".utf8)
        }
    }

    /// A request id as JSON (number or string), `null` when absent.
    static func json(_ value: Any?) -> String {
        if let s = value as? String { return quoted(s) }
        if let n = value as? NSNumber { return n.stringValue }
        return "null"
    }

    static func quoted(_ s: String) -> String {
        String(decoding: JSONWriter.bytes(capacity: s.utf8.count + 2) { $0.string(s) }, as: UTF8.self)
    }
}
