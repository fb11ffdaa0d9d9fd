import Foundation
import Model
import TestSupport
import Testing
import Yams

@testable import Reliability

/// The collector's config file shape: the reliability section nests under `reliability:`.
private struct CollectorFile: Decodable {
    var reliability: ReliabilityConfig
}

@Suite struct ReliabilityConfigTests {
    func load(_ yaml: String) throws -> ReliabilityConfig {
        try YAMLDecoder().decode(CollectorFile.self, from: yaml).reliability
    }

    /// The error the decoder surfaced, whichever way it was wrapped.
    func configError(_ yaml: String) -> ReliabilityConfigError? {
        do {
            _ = try load(yaml)
            return nil
        } catch {
            guard let configError = ReliabilityConfigError.unwrap(error) else {
                Issue.record("expected ReliabilityConfigError, got \(error)")
                return nil
            }
            return configError
        }
    }

    @Test func anEmptySectionYieldsTheDocumentedDefaults() throws {
        let config = try load("reliability: {}\n")
        #expect(config == .defaults)
        #expect(config[.binance].rateLimit("rest") == .binanceSpot)
        #expect(config[.binanceFutures].rateLimit("rest")?.limit == 2400)
        #expect(config[.okx].rateLimit("market_books") == .okxMarketBooks)
        #expect(config[.okx].keepalive == .clientPing(pingAfter: .seconds(20), pongTimeout: .seconds(5)))
        #expect(config[.deribit].keepalive == .heartbeat(interval: .seconds(15), timeout: .seconds(45)))
        #expect(config[.binance].reconnect.rotateAfter == .hours(23) + .minutes(30))
        #expect(config[.okx].reconnect.rotateAfter == nil)
        #expect(config.broker.retry.maxRetries == nil)
        #expect(VenueReliability.rateLimitFamilies(of: .okx) == ["market_books", "public"])
    }

    /// The YAML example in docs/reliability.md spells out the defaults; decoding it must change nothing,
    /// so the documentation cannot drift from the code.
    @Test func theDocumentedExampleIsExactlyTheDefaults() throws {
        let doc = try String(contentsOf: TestEnvironment.packageRoot.appendingPathComponent("docs/reliability.md"), encoding: .utf8)
        let start = try #require(doc.range(of: "```yaml\n"))
        let end = try #require(doc.range(of: "```", range: start.upperBound..<doc.endIndex))
        let yaml = String(doc[start.upperBound..<end.lowerBound])
        #expect(yaml.contains("rotate_after_ms: 84600000"))
        #expect(try load(yaml) == .defaults)
    }

    @Test func overridesApplyAndEverythingElseKeepsItsDefault() throws {
        let config = try load(
            """
            reliability:
              binance:
                rate_limits:
                  rest: {limit: 3000}
                rest_breaker:
                  failure_threshold: 2
                  half_open_probes: 3
                  successes_to_close: 2
                reconnect:
                  rotate_after_ms: 43200000
              okx:
                keepalive: {ping_after_ms: 15000, pong_timeout_ms: 10000}
                retry: {max_retries: null}
              broker:
                breaker: {open_timeout_ms: 2500}
            """)
        #expect(config[.binance].rateLimit("rest") == RateLimitPolicy(limit: 3000, window: .minutes(1)))
        #expect(config[.binance].restBreaker == BreakerPolicy(
            failureThreshold: 2, window: .seconds(60), openTimeout: .seconds(30), halfOpenProbes: 3, successesToClose: 2))
        #expect(config[.binance].reconnect.rotateAfter == .hours(12))
        #expect(config[.binance].websocketBreaker == VenueReliability.defaults(for: .binance).websocketBreaker)
        #expect(config[.okx].keepalive == .clientPing(pingAfter: .seconds(15), pongTimeout: .seconds(10)))
        #expect(config[.okx].retry.maxRetries == nil)
        #expect(config[.okx].retry.baseDelay == .milliseconds(250))
        #expect(config.broker.breaker.openTimeout == .milliseconds(2500))
        #expect(config[.deribit] == VenueReliability.defaults(for: .deribit))
    }

    @Test func anInvalidValueNamesItsFullKeyPath() {
        let error = configError(
            """
            reliability:
              binance:
                rate_limits:
                  rest: {limit: -5}
            """)
        #expect(error == ReliabilityConfigError(
            keyPath: "reliability.binance.rate_limits.rest.limit", problem: .invalidValue(requirement: "must be > 0", got: "-5")))
        #expect(error?.description == "reliability.binance.rate_limits.rest.limit must be > 0, got -5")
    }

    @Test func aMisspeltKeyIsAnErrorNotASilentDefault() {
        let error = configError(
            """
            reliability:
              okx:
                rest_breaker: {failure_treshold: 3}
            """)
        #expect(error?.keyPath == "reliability.okx.rest_breaker.failure_treshold")
        guard case .unknownKey(let allowed)? = error?.problem else {
            Issue.record("expected unknownKey, got \(String(describing: error))")
            return
        }
        #expect(allowed.contains("failure_threshold"))
        #expect(configError("reliability:\n  kraken: {}\n")?.keyPath == "reliability.kraken")
        // Each venue knows only its own rate-limit families.
        #expect(configError("reliability:\n  binance:\n    rate_limits: {market_books: {limit: 1}}\n")?.keyPath
            == "reliability.binance.rate_limits.market_books")
    }

    @Test func wrongTypesAreNamed() {
        #expect(configError("reliability:\n  deribit:\n    retry: {base_delay_ms: soon}\n") == ReliabilityConfigError(
            keyPath: "reliability.deribit.retry.base_delay_ms", problem: .wrongType(expected: "an integer")))
        #expect(configError("reliability:\n  deribit: 5\n")?.keyPath == "reliability.deribit")
    }

    @Test func venueRulesAreEnforcedWithTheirReason() {
        let tooLong = configError("reliability:\n  binance_futures:\n    reconnect: {rotate_after_ms: 86400000}\n")
        #expect(tooLong?.keyPath == "reliability.binance_futures.reconnect.rotate_after_ms")
        #expect(tooLong?.description.contains("Binance cuts connections at 24 h") == true)
        let okxPing = configError("reliability:\n  okx:\n    keepalive: {ping_after_ms: 30000}\n")
        #expect(okxPing?.keyPath == "reliability.okx.keepalive.ping_after_ms")
        let okxSum = configError("reliability:\n  okx:\n    keepalive: {ping_after_ms: 25000, pong_timeout_ms: 6000}\n")
        #expect(okxSum?.keyPath == "reliability.okx.keepalive.pong_timeout_ms")
        let heartbeat = configError("reliability:\n  deribit:\n    keepalive: {heartbeat_interval_ms: 5000}\n")
        #expect(heartbeat?.description == "reliability.deribit.keepalive.heartbeat_interval_ms must be >= 10000 (Deribit's minimum heartbeat interval is 10 s), got 5000")
        // A keepalive key of another venue's protocol is unknown here.
        #expect(configError("reliability:\n  binance:\n    keepalive: {ping_after_ms: 1000}\n")?.keyPath
            == "reliability.binance.keepalive.ping_after_ms")
        let probes = configError("reliability:\n  broker:\n    breaker: {half_open_probes: 1, successes_to_close: 2}\n")
        #expect(probes?.description == "reliability.broker.breaker.successes_to_close must be 1 (half_open_probes is 1), got 2")
        let caps = configError("reliability:\n  okx:\n    retry: {base_delay_ms: 1000, max_delay_ms: 10}\n")
        #expect(caps?.description == "reliability.okx.retry.max_delay_ms must be >= 1000 (base_delay_ms is 1000), got 10")
        #expect(configError("reliability:\n  okx:\n    retry_budget: {percent: 150}\n")?.keyPath == "reliability.okx.retry_budget.percent")
    }

    @Test func decodingAtTheTopLevelUsesTheReliabilityPrefix() {
        do {
            _ = try YAMLDecoder().decode(ReliabilityConfig.self, from: "okx:\n  stale_feed: {stale_after_ms: 0}\n")
            Issue.record("expected an error")
        } catch {
            #expect(ReliabilityConfigError.unwrap(error)?.description == "reliability.okx.stale_feed.stale_after_ms must be > 0, got 0")
        }
    }

    @Test func reportEncodesInTheScenarioReportShape() throws {
        let report = ReliabilityReport(
            breakerTransitions: [
                BreakerTransition(at: Instant(nanoseconds: 2000), from: .open, to: .halfOpen, target: "okx.rest"),
                BreakerTransition(at: Instant(nanoseconds: 1000), from: .closed, to: .open, target: "okx.rest"),
            ],
            rateLimit: {
                var stats = RateLimitStats(limit: 6000)
                stats.maxWindowUsed = 5950
                stats.waited = .milliseconds(1500)
                stats.rejected = 1
                return stats
            }(), retries: 4, reconnects: 2, watchdogTrips: 1)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(report), as: UTF8.self)
        #expect(json == #"{"breaker_transitions":[{"at":1000,"from":"closed","target":"okx.rest","to":"open"},{"at":2000,"from":"open","target":"okx.rest","to":"half_open"}],"rate_limit":{"limit":6000,"max_window_used":5950,"rejected":1,"waited_ms":1500},"reconnects":2,"retries":4,"watchdog_trips":1}"#)
    }
}
