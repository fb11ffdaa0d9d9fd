import Hummingbird

/// Lets a request through only with `Authorization: Bearer <token>` when a token is configured.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: BearerToken

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard token.accepts(authorization: request.headers[.authorization]) else { return APIError.unauthorized.response }
        return try await next(request, context)
    }
}

/// The configured token, compared in time that depends only on the lengths, so response timing
/// does not reveal how many leading bytes of a guess were right.
struct BearerToken: Sendable {
    private let expected: [UInt8]

    init(_ token: String) { expected = Array(token.utf8) }

    func accepts(authorization header: String?) -> Bool {
        guard let header else { return false }
        let bytes = Array(header.utf8)
        let scheme = Array("bearer ".utf8)
        guard bytes.count >= scheme.count else { return false }
        for i in 0..<scheme.count where bytes[i] | 0x20 != scheme[i] | 0x20 { return false }
        var start = scheme.count
        while start < bytes.count && bytes[start] == UInt8(ascii: " ") { start += 1 }
        return Self.constantTimeEquals(bytes[start...], expected[...])
    }

    static func constantTimeEquals(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Bool {
        var difference: UInt8 = a.count == b.count ? 0 : 1
        let n = max(a.count, b.count)
        var ia = a.startIndex
        var ib = b.startIndex
        for _ in 0..<n {
            let x = ia < a.endIndex ? a[ia] : 0
            let y = ib < b.endIndex ? b[ib] : 0
            difference |= x ^ y
            ia += 1
            ib += 1
        }
        return difference == 0
    }
}
