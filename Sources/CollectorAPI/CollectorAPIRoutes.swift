import CollectorControl
import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import Prometheus

/// The routes, each a thin translation between HTTP and one `CollectorControl` call.
struct CollectorAPIRoutes: Sendable {
    let control: any CollectorControl
    let configuration: CollectorAPIConfiguration
    let registry: PrometheusCollectorRegistry

    func httpRouter() -> Router<BasicRequestContext> {
        let router = Router()
        // Request counts and durations (marketprism_hb_requests, marketprism_http_server_request_duration),
        // refused requests included.
        router.add(middleware: MetricsMiddleware())
        if let token = configuration.bearerToken {
            router.add(middleware: BearerTokenMiddleware<BasicRequestContext>(token: BearerToken(token)))
        }
        router.get("/health") { _, _ in try health() }
        router.get("/status") { _, _ in try JSONResponse.encode(control.status()) }
        router.get("/metrics") { _, _ in metrics() }
        router.get("/api/v1/orderbook/:exchange/:symbol") { request, context in
            orderBook(
                exchange: context.parameters.get("exchange") ?? "", symbol: context.parameters.get("symbol") ?? "",
                depth: request.uri.queryParameters.get("depth"))
        }
        router.post("/api/v1/subscriptions") { request, _ in
            try await subscription(request, apply: control.subscribe)
        }
        router.delete("/api/v1/subscriptions") { request, _ in
            try await subscription(request, apply: control.unsubscribe)
        }
        // Reached only when the websocket router declined the upgrade: after auth, a plain GET.
        router.get("/ws/orderbook") { _, _ in APIError.websocketUpgradeRequired.response }
        return router
    }

    func webSocketRouter() -> Router<BasicWebSocketRequestContext> {
        let router = Router(context: BasicWebSocketRequestContext.self)
        let token = configuration.bearerToken.map(BearerToken.init)
        let control = control
        let configuration = configuration
        router.ws(
            "/ws/orderbook",
            shouldUpgrade: { request, _ in
                // A refused upgrade falls through to the HTTP router, which answers 401.
                if let token, !token.accepts(authorization: request.headers[.authorization]) { return .dontUpgrade }
                return .upgrade([:])
            },
            onUpgrade: { inbound, outbound, _ in
                try await BookStreamConnection.serve(
                    inbound: inbound, outbound: outbound, control: control, configuration: configuration)
            })
        return router
    }

    /// 200 when healthy, else 503 with the reasons; the body is the report either way.
    func health() throws -> Response {
        let report = control.health()
        return try JSONResponse.encode(report, status: report.healthy ? .ok : .serviceUnavailable)
    }

    func metrics() -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: MetricsBootstrap.exposition(registry))))
    }

    func orderBook(exchange: String, symbol: String, depth text: String?) -> Response {
        let depth: Int
        switch DepthParameter.parse(text, default: configuration.defaultDepth, max: configuration.maxDepth) {
        case .success(let d): depth = d
        case .failure(let error): return error.response
        }
        guard let book = control.orderBook(exchange: exchange, symbol: symbol, depth: depth) else {
            return APIError.unknownBook(exchange: exchange, symbol: symbol).response
        }
        return JSONResponse.make(OrderBookJSON.bytes(book, depth: depth))
    }

    /// The collector's result either way: 200 when it applied, 400 when it refused (the result says why).
    func subscription(_ request: Request, apply: (SubscriptionRequest) -> SubscriptionResult) async throws -> Response {
        let parsed: SubscriptionRequest
        switch await SubscriptionBody.read(request, limit: configuration.maxRequestBodyBytes) {
        case .success(let r): parsed = r
        case .failure(let error): return error.response
        }
        let result = apply(parsed)
        return try JSONResponse.encode(result, status: result.ok ? .ok : .badRequest)
    }
}
