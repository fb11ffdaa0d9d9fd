import Model

/// A coding key for sections whose keys are checked by hand, so unknown keys can be reported.
struct ConfigKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// One mapping of the reliability config being read: typed reads with defaults, rule checks and
/// errors that carry the full key path. Decoding errors from the underlying decoder (YAML, JSON)
/// are turned into `ReliabilityConfigError`s here, so callers only ever see that one type.
struct ConfigSection {
    let container: KeyedDecodingContainer<ConfigKey>?
    let path: String

    /// A section that is absent in the input: every read yields its default.
    static func absent(path: String) -> ConfigSection { ConfigSection(container: nil, path: path) }

    init(container: KeyedDecodingContainer<ConfigKey>?, path: String) {
        self.container = container
        self.path = path
    }

    init(decoder: any Decoder, path: String) throws(ReliabilityConfigError) {
        do {
            self.init(container: try decoder.container(keyedBy: ConfigKey.self), path: path)
        } catch {
            throw ReliabilityConfigError(keyPath: path, problem: .wrongType(expected: "a mapping"))
        }
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Rejects keys outside `allowed`; with several, the alphabetically first is named, so the
    /// message does not depend on the decoder's key order.
    func allowOnly(_ allowed: [String]) throws(ReliabilityConfigError) {
        guard let container else { return }
        let unknown = container.allKeys.map(\.stringValue).filter { !allowed.contains($0) }.sorted()
        if let first = unknown.first {
            throw ReliabilityConfigError(keyPath: keyPath(first), problem: .unknownKey(allowed: allowed))
        }
    }

    func section(_ key: String) throws(ReliabilityConfigError) -> ConfigSection {
        let path = keyPath(key)
        guard let container, container.contains(ConfigKey(key)) else { return .absent(path: path) }
        do {
            if try container.decodeNil(forKey: ConfigKey(key)) { return .absent(path: path) }
            return ConfigSection(container: try container.nestedContainer(keyedBy: ConfigKey.self, forKey: ConfigKey(key)), path: path)
        } catch {
            throw ReliabilityConfigError(keyPath: path, problem: .wrongType(expected: "a mapping"))
        }
    }

    /// An integer; absent means `defaultValue`, explicit `null` means nil (used for "no limit").
    func optionalInteger(_ key: String, default defaultValue: Int?) throws(ReliabilityConfigError) -> Int? {
        guard let container, container.contains(ConfigKey(key)) else { return defaultValue }
        do {
            if try container.decodeNil(forKey: ConfigKey(key)) { return nil }
            return try container.decode(Int.self, forKey: ConfigKey(key))
        } catch {
            throw ReliabilityConfigError(keyPath: keyPath(key), problem: .wrongType(expected: "an integer or null"))
        }
    }

    func integer(_ key: String, default defaultValue: Int, _ rule: ConfigRule) throws(ReliabilityConfigError) -> Int {
        guard let container, container.contains(ConfigKey(key)) else { return defaultValue }
        let value: Int
        do {
            value = try container.decode(Int.self, forKey: ConfigKey(key))
        } catch {
            throw ReliabilityConfigError(keyPath: keyPath(key), problem: .wrongType(expected: "an integer"))
        }
        try check(value, rule, key: key)
        return value
    }

    /// A duration written as integer milliseconds (keys end in `_ms`).
    func milliseconds(_ key: String, default defaultValue: Nanoseconds, _ rule: ConfigRule) throws(ReliabilityConfigError) -> Nanoseconds {
        let ms = try integer(key, default: Int(defaultValue.value / 1_000_000), rule)
        guard Int64(ms) <= Int64.max / 1_000_000 else {
            throw ReliabilityConfigError(keyPath: keyPath(key), problem: .invalidValue(requirement: "must fit in 64-bit nanoseconds", got: "\(ms)"))
        }
        return .milliseconds(Int64(ms))
    }

    func check(_ value: Int, _ rule: ConfigRule, key: String) throws(ReliabilityConfigError) {
        if let requirement = rule.violation(value) {
            throw ReliabilityConfigError(keyPath: keyPath(key), problem: .invalidValue(requirement: requirement, got: "\(value)"))
        }
    }
}

/// A bound on an integer setting.
struct ConfigRule {
    var minimum: Int?
    var maximum: Int?
    /// Why the maximum exists, appended to the message (e.g. the venue's hard limit).
    var because: String?

    static let positive = ConfigRule(minimum: 1)
    static let nonNegative = ConfigRule(minimum: 0)
    static func atLeast(_ value: Int, because: String? = nil) -> ConfigRule { ConfigRule(minimum: value, because: because) }
    static func between(_ low: Int, _ high: Int, because: String? = nil) -> ConfigRule {
        ConfigRule(minimum: low, maximum: high, because: because)
    }

    func violation(_ value: Int) -> String? {
        let reason = because.map { " (\($0))" } ?? ""
        switch (minimum, maximum) {
        case (let low?, let high?) where value < low || value > high:
            return low == high ? "must be \(low)\(reason)" : "must be between \(low) and \(high)\(reason)"
        case (let low?, nil) where value < low: return low == 1 ? "must be > 0\(reason)" : "must be >= \(low)\(reason)"
        case (nil, let high?) where value > high: return "must be <= \(high)\(reason)"
        default: return nil
        }
    }
}
