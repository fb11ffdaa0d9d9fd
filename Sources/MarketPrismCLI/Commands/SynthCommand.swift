import ArgumentParser
import ConfigSupport
import Foundation
import Model
import Simulation

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Generate a synthetic market as a venue-format recording (frames and REST snapshot answers).",
        discussion: """
            Valid sequence ids (and OKX checksums), a random-walk price and a book that follows it; the same
            arguments always give the same file.

            Examples:
              marketprism synth --venue binance --symbols BTC-USDT,ETH-USDT --duration 60s --seed 1 --output recordings/binance.mprec
              marketprism synth --venue okx --symbols BTC-USDT-PERP --duration 10m --rate 50 --output big.mprec
            """)

    @Option(help: "binance, binance_futures, okx or deribit.")
    var venue: String

    @Option(help: "Comma-separated normalized symbols, e.g. BTC-USDT,ETH-USDT or BTC-USDT-PERP.")
    var symbols: String

    @Option(help: "Length of the session, e.g. 60s, 10m.")
    var duration: String = "60s"

    @Option(help: "Seed of the price process.")
    var seed: UInt64 = 1

    @Option(help: "Book updates per second per instrument.")
    var rate: Double = 10

    @Option(help: "Trades per second per instrument.")
    var trades: Double = 4

    @Option(help: "Levels each side of the book.")
    var levels: Int = 50

    @Option(help: "Output recording path.")
    var output: String

    func run() throws {
        guard let v = Venue(rawValue: venue) else {
            throw ValidationError("--venue expects one of \(Venue.allCases.map(\.rawValue).joined(separator: ", ")), got '\(venue)'")
        }
        guard let ns = DurationText.parse(duration), ns > 0 else {
            throw ValidationError("--duration expects a duration like 60s or 10m, got '\(duration)'")
        }
        guard levels >= 5, rate > 0, trades >= 0 else { throw ValidationError("--levels must be >= 5 and --rate > 0") }
        let spec = SyntheticMarketSpec(
            venue: v, symbols: symbols.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) },
            durationNs: ns, seed: seed, updatesPerSecond: rate, tradesPerSecond: trades, levels: levels)
        var market = SyntheticMarket(spec: spec)
        do { try market.write(to: output, toolVersion: ToolVersion.current) } catch { throw CLIError(error.description) }
        print("wrote \(output): \(market.framesWritten) frames, \(spec.symbols.count) instruments, \(duration)")
    }
}

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The main job on embedded defaults: replay the bundled recording under the bundled fault scenario.",
        discussion: """
            Runs scenarios/demo.yaml (a synthetic Binance market under a burst of faults) and prints the report.
            No server is needed.

            Example:
              marketprism demo
              marketprism demo --json
            """)

    @OptionGroup var options: RunOptions

    static var bundledScenario: String {
        let local = "scenarios/demo.yaml"
        if FileManager.default.fileExists(atPath: local) { return local }
        // Built in a checkout: find the repository beside the sources.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(local).path
    }

    func run() throws {
        let scenario = try loadScenario(Self.bundledScenario)
        let report = try options.execute(scenario)
        if !report.passed { throw ExitCode(1) }
    }
}
