import CollectorAPI
import CollectorControl
import Foundation
import Live
import Logging
import ServiceLifecycle

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real API server on a free 127.0.0.1 port for the duration of `body`, stopped afterwards.
func withAPIServer<T>(
    _ control: InMemoryCollector, configuration: CollectorAPIConfiguration = CollectorAPIConfiguration(),
    _ body: (APIClient) async throws -> T
) async throws -> T {
    var configuration = configuration
    configuration.host = "127.0.0.1"
    configuration.port = 0
    var logger = Logger(label: "marketprism.api.test")
    logger.logLevel = .warning
    let server = CollectorAPIServer(control: control, configuration: configuration, logger: logger)
    // As the collector runs it: a service in a group, stopped by graceful shutdown.
    let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
    let running = Task { try await group.run() }
    defer { running.cancel() }
    let port = try await server.listeningPort()
    let result = try await body(APIClient(port: port))
    await group.triggerGracefulShutdown()
    try await running.value
    return result
}

/// Real HTTP requests: libcurl through Live's REST client for GETs, FoundationNetworking's
/// URLSession for the methods that client does not speak (POST, DELETE).
struct APIClient: Sendable {
    let port: Int
    var base: String { "http://127.0.0.1:\(port)" }

    struct Reply: Sendable {
        var status: Int
        var body: [UInt8]
        var headers: [(name: String, value: String)]
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
        func json() throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(type, from: Data(body)) }
    }

    /// libcurl blocks its thread: run it on its own thread, never on the (2-thread) cooperative pool
    /// the server's handlers need.
    func get(_ path: String, token: String? = nil) async throws -> Reply {
        let url = base + path
        let headers = token.map { [("Authorization", "Bearer \($0)")] } ?? []
        return try await onOwnThread {
            let client = try CurlRestClient(options: CurlRestClient.Options(compression: false))
            let response = try client.get(url, headers: headers)
            return Reply(status: response.status, body: response.body, headers: response.headers)
        }
    }

    func send(_ method: String, _ path: String, json: String, token: String? = nil) async throws -> Reply {
        var request = URLRequest(url: try #require(URL(string: base + path)))
        request.httpMethod = method
        request.httpBody = Data(json.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.connectionProxyDictionary = [:]
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let (data, response) = try await session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        let headers = http.allHeaderFields.compactMap { k, v in (k as? String).map { (name: $0, value: "\(v)") } }
        return Reply(status: http.statusCode, body: Array(data), headers: headers)
    }

    func webSocket(token: String? = nil) async throws -> TestWebSocket {
        let headers = token.map { [("Authorization", "Bearer \($0)")] } ?? []
        let url = "ws://127.0.0.1:\(port)/ws/orderbook"
        return try await onOwnThread {
            TestWebSocket(try CurlWebSocket(url: url, options: CurlWebSocket.Options(extraHeaders: headers)))
        }
    }
}

/// Runs blocking client code on a thread of its own and awaits it.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}

import Testing

/// Live's blocking websocket client, used from async tests one call at a time on its own thread.
final class TestWebSocket: @unchecked Sendable {
    let socket: CurlWebSocket
    init(_ socket: CurlWebSocket) { self.socket = socket }

    func send(text: String) async throws { try await onOwnThread { try self.socket.send(text: text) } }
    func send(binary: [UInt8]) async throws { try await onOwnThread { try self.socket.send(binary: binary) } }
    func close() async { _ = try? await onOwnThread { self.socket.close() } }

    /// The next message, waiting up to 10 s (a generous bound, not a timing check); nil if none came.
    func receive() async throws -> WebSocketMessage? {
        try await onOwnThread { try self.socket.receive(timeoutMilliseconds: 10_000) }
    }

    func nextText() async throws -> String {
        let message = try await receive()
        guard case .text(let bytes)? = message else {
            Issue.record("expected a text message, got \(String(describing: message))")
            throw TestFailure.noMessage
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The next text message as a JSON object.
    func nextJSON() async throws -> [String: Any] {
        let text = try await nextText()
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }
}

enum TestFailure: Error {
    case noMessage
}
