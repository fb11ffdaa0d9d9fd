import Exchanges
import Foundation
import Live
import Model
import Stack

/// One thread per venue feed that performs the stack's REST requests in order on one libcurl
/// handle (connection and TLS session reused), and hands each answer back to the feed.
final class RestWorker: @unchecked Sendable {
    struct Job {
        var id: RequestID
        /// Where the request really goes (the configured origin applied).
        var url: String
        /// The URL the stack asked for: recorded under this name so replay finds it.
        var stackURL: String
        var request: RestRequest
    }

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var stopping = false
    private var thread: Thread?
    private let options: CurlRestClient.Options
    private let timeoutMilliseconds: Int
    private let done: @Sendable (Job, Result<Live.RestResponse, TransportError>) -> Void

    init(options: CurlRestClient.Options, timeoutMilliseconds: Int,
         done: @escaping @Sendable (Job, Result<Live.RestResponse, TransportError>) -> Void) {
        self.options = options
        self.timeoutMilliseconds = timeoutMilliseconds
        self.done = done
    }

    func start(name: String) {
        let t = Thread { [self] in run() }
        t.name = name
        thread = t
        t.start()
    }

    func enqueue(_ job: Job) {
        condition.lock()
        queue.append(job)
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func run() {
        var client: CurlRestClient?
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if stopping {
                condition.unlock()
                return
            }
            let job = queue.removeFirst()
            condition.unlock()
            if client == nil { client = try? CurlRestClient(options: options) }
            guard let client else {
                done(job, .failure(.curlSetupFailed(option: "init", curlCode: -1)))
                continue
            }
            do {
                done(job, .success(try client.get(job.url, timeoutMilliseconds: timeoutMilliseconds)))
            } catch {
                done(job, .failure(error))
            }
        }
    }

    /// A blocking GET outside the stack (the instrument lists fetched before it starts).
    static func fetchOnce(_ url: String, options: CurlRestClient.Options, timeoutMilliseconds: Int) -> Result<Live.RestResponse, TransportError> {
        do {
            let client = try CurlRestClient(options: options)
            return .success(try client.get(url, timeoutMilliseconds: timeoutMilliseconds))
        } catch {
            return .failure(error)
        }
    }
}

extension Stack.RestResponse {
    /// The stack's view of an HTTP answer: status, Retry-After and Binance's used weight steer its limiter.
    init(_ live: Live.RestResponse) {
        self.init(
            status: live.status, retryAfter: live.retryAfterSeconds.map { .seconds(Int64($0)) },
            usedWeight: live.usedWeightPerMinute, body: live.body)
    }
}

/// Swaps scheme, host and port of `url` for `origin` (`ws://127.0.0.1:9000`), keeping path and query.
func replacingOrigin(of url: String, with origin: String?) -> String {
    guard let origin else { return url }
    guard let schemeEnd = url.range(of: "://") else { return origin + url }
    let rest = url[schemeEnd.upperBound...]
    let pathStart = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
    return origin + rest[pathStart...]
}
