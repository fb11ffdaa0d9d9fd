import ArgumentParser
import ExchangeServer
import Foundation
import ConfigSupport
import Simulation

#if canImport(Glibc)
import Glibc
#endif

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve recordings as a simulated exchange on 127.0.0.1: the venues' websocket and REST endpoints.",
        discussion: """
            Several recordings of one venue (rotated segments, files of different instruments) are served as one market, merged by receive time. All venues share one port. Websocket paths carry a venue prefix (/binance/stream, /binance_futures/ws, /okx/ws/v5/public, /deribit/ws/api/v2); REST keeps the venues' own paths (/api/v3/depth, /fapi/v1/depth, /api/v5/market/books, /api/v2/public/get_order_book, instruments).

            At startup one line per venue gives its websocket URL and REST base. Frames are byte-identical to the recording, paced from the market's first subscription. Faults (--scenario) count from the first websocket connection attempt. See docs/serve.md.

            Examples:
              marketprism serve recordings/okx.mprec recordings/deribit.mprec --port 9443
              marketprism serve recordings/binance-spot.mprec --speed max --close-at-end
              marketprism serve recordings/okx.mprec --speed 10x --loop
              marketprism serve rec/binance-*.000000.mprec rec/binance-*.000001.mprec
              marketprism serve recordings/okx.mprec --speed 10x --scenario faults.yaml
              marketprism serve rec.mprec --tls-cert cert.pem --tls-key key.pem
            """)

    @Argument(help: "Recordings (.mprec); several of one venue make one market.")
    var recordings: [String]

    @Option(help: "Port on 127.0.0.1 (0: a free one).")
    var port: Int = 0

    @Option(name: .customLong("tls-cert"), help: "PEM certificate: serve wss:// and https://.")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(help: "Pacing: max, or a multiple of real time like 1x (default) or 10x.")
    var speed: String = "1x"

    @Option(help: "A scenario file whose connection faults (and rest.*, message.delay) are applied on the sockets.")
    var scenario: String?

    @Flag(name: .customLong("close-at-end"), help: "Close each websocket with 1000 after the last recorded frame.")
    var closeAtEnd = false

    @Flag(help: "When a venue's recording ends, close its websockets with 1012 and play it again from the start to clients that reconnect.")
    var loop = false

    @Option(name: .customLong("ping-interval"), help: "Binance server ping interval, e.g. 20s (default: the venue's).")
    var pingInterval: String?

    func run() throws {
        guard let pace = ReplaySpeed(speed) else { throw CLIError("--speed: expected max or a multiple like 10x, got '\(speed)'") }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw CLIError("--tls-cert and --tls-key go together") }
        guard !(loop && closeAtEnd) else { throw CLIError("--loop and --close-at-end exclude each other (with --loop the end closes with 1012)") }
        var faults: [Fault] = []
        if let scenario { faults = try loadScenario(scenario).faults }
        var ping: Int64?
        if let text = pingInterval {
            guard let ns = DurationText.parse(text), ns > 0 else { throw CLIError("--ping-interval: expected a duration like 20s, got '\(text)'") }
            ping = ns
        }
        let configuration = ExchangeServerConfiguration(
            recordings: recordings, port: port, tlsCertificateFile: tlsCert, tlsKeyFile: tlsKey, speed: pace, faults: faults,
            closeAtEnd: closeAtEnd, pingIntervalNanoseconds: ping, loop: loop)
        signal(SIGPIPE, SIG_IGN)
        // SIGINT/SIGTERM are taken by sigwait below, not by a handler.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let server: ExchangeServer
        do {
            server = try ExchangeServer(configuration: configuration)
            try server.start()
        } catch {
            throw CLIError("\(error)")
        }
        for endpoint in server.endpoints { print(endpoint.line) }
        print("serving on 127.0.0.1:\(server.port) at speed \(pace); Ctrl-C or SIGTERM stops")
        fflush(nil)
        var received: Int32 = 0
        sigwait(&signals, &received)
        server.stop()
        print("stopped (\(received == SIGINT ? "SIGINT" : "SIGTERM")); \(server.snapshotsSynthesized) snapshots synthesized")
        fflush(nil)
    }
}
