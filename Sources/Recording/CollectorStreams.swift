/// The streams the collector's recorder adds beside the venue's own connections: written by
/// `Collector.FeedRecorder`, read by `Simulation.RecordedFeed`, which do not depend on each other.
/// (docs/recording-format.md, docs/collector.md)
public enum CollectorStreams {
    /// REST requests and responses of the stack, labelled `rest` in the header: its presence marks a
    /// recording made by `collect`/`record`, whose instants are the stack's own.
    public static let rest: UInt32 = 1_000_000
    /// Subscription changes made at run time (API or NATS command), labelled `control`.
    public static let control: UInt32 = 1_000_001
    /// The URL of a subscription change record: a `rest_request` on `control` whose method is `POST`
    /// (subscribe) or `DELETE` (unsubscribe) and whose body is the pairs that changed, in the header's
    /// subscription JSON, at the instant the stack took the change.
    public static let subscriptionChangeURL = "marketprism:subscriptions"
}
