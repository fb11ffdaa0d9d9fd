import CoreMetrics
import Prometheus

/// The process's Prometheus registry behind swift-metrics. `MetricsSystem.bootstrap` may run once
/// per process, and both the `collect` command and every API test want metrics: the first call
/// installs the factory, later calls (and a factory someone else installed) share it.
public enum MetricsBootstrap {
    /// The registry `/metrics` serves; installs the Prometheus factory on first use.
    public static var registry: PrometheusCollectorRegistry { installation.registry }

    /// False when another, non-Prometheus factory was bootstrapped first: then swift-metrics
    /// values do not reach this registry (only metrics registered on it directly do).
    public static var isSystemFactory: Bool { installation.isSystemFactory }

    /// Installs the factory now (at startup, before the first metric is created, so no early
    /// metric lands in the no-op factory).
    @discardableResult
    public static func install() -> PrometheusCollectorRegistry { installation.registry }

    /// The registry's Prometheus text exposition (format 0.0.4).
    public static func exposition(_ registry: PrometheusCollectorRegistry = registry) -> [UInt8] {
        registry.emitToBuffer()
    }

    /// Swift globals initialise once, thread-safely: that is the once-per-process guard.
    private static let installation: (registry: PrometheusCollectorRegistry, isSystemFactory: Bool) = {
        if let existing = MetricsSystem.factory as? PrometheusMetricsFactory { return (existing.registry, true) }
        let registry = PrometheusCollectorRegistry()
        guard MetricsSystem.factory is NOOPMetricsHandler else { return (registry, false) }
        MetricsSystem.bootstrap(makeFactory(registry: registry))
        return (registry, true)
    }()

    /// Names sanitized and prefixed `marketprism_`, and latency buckets that resolve the
    /// sub-millisecond live path (the factory's defaults start at 5 ms).
    public static func makeFactory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { name, labels in
            (MetricName.prefixed(name), labels.map { (MetricName.sanitized($0.0, allowColon: false), $0.1) })
        }
        factory.defaultDurationHistogramBuckets = [
            .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(250),
            .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5),
        ]
        return factory
    }
}

/// Prometheus metric and label names: `[a-zA-Z_:][a-zA-Z0-9_:]*` (labels without `:`).
public enum MetricName {
    public static let prefix = "marketprism_"

    public static func prefixed(_ name: String) -> String {
        let clean = sanitized(name, allowColon: true)
        return clean.hasPrefix(prefix) ? clean : prefix + clean
    }

    static func sanitized(_ name: String, allowColon: Bool) -> String {
        var out = [UInt8]()
        out.reserveCapacity(name.utf8.count)
        for (i, b) in name.utf8.enumerated() {
            let letter = (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95 || (allowColon && b == 58)
            let digit = b >= 48 && b <= 57
            if letter || (digit && i > 0) {
                out.append(b)
            } else {
                out.append(95)
            }
        }
        if out.isEmpty { out.append(95) }
        return String(decoding: out, as: UTF8.self)
    }
}
