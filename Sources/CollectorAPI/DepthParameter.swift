/// `?depth=N`: absent means the configured default; anything but an integer in 1...max is a 400,
/// never a silent clamp, so a client learns its request was not what it meant.
enum DepthParameter {
    static func parse(_ text: String?, default fallback: Int, max limit: Int) -> Result<Int, APIError> {
        guard let text else { return .success(min(fallback, limit)) }
        guard let value = Int(text), value >= 1, value <= limit else {
            return .failure(.invalidDepth(given: text, max: limit))
        }
        return .success(value)
    }
}
