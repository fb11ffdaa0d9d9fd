import Books
import Exchanges
import Model
import Publishing
import Reliability

/// Everything one collector stack needs to know about the feed it runs.
public struct StackConfiguration {
    public var subscription: Subscription
    public var catalog: InstrumentCatalog
    public var books: BookSyncConfiguration
    public var okxBookProtocol: OKXBookProtocol
    public var reliability: VenueReliability
    public var broker: BrokerReliability
    public var publisher: PublisherCore.Configuration
    /// Seed for every random choice the stack makes (backoff jitter).
    public var seed: UInt64
    /// Replaces the venue's websocket URL (point the collector at a simulated exchange).
    public var websocketURLOverride: String?
    /// Replaces `https://host` of REST requests.
    public var restBaseURLOverride: String?
    /// How long a REST request may take before it counts as failed.
    public var restTimeout: Nanoseconds
    /// A message the publisher core sends at once becomes a `.publish` effect without the core's own
    /// effect in between (`CollectorStack.publish`). The effects, their order and every count are the
    /// same either way; false only to check exactly that.
    public var publishesAtOnce = true
    /// With `publishesAtOnce`, the messages a frame sends at once stay in `CollectorStack.frameDeliveries`
    /// instead of becoming `.publish` effects, for a driver with a synchronous sink that writes them
    /// after carrying out the frame's effects (where those `.publish` effects would have been): no
    /// effect is built, copied and destroyed per message, and when all were written,
    /// `CollectorStack.settleFrameDeliveries(at:)` acks them without the publisher core ever storing
    /// them in its window. Off by default: other drivers see effects only.
    public var holdsFrameDeliveries = false

    public init(
        subscription: Subscription, catalog: InstrumentCatalog, books: BookSyncConfiguration = .standard,
        okxBookProtocol: OKXBookProtocol = .auto, reliability: VenueReliability? = nil,
        broker: BrokerReliability = .defaults, publisher: PublisherCore.Configuration = .init(), seed: UInt64 = 1,
        websocketURLOverride: String? = nil, restBaseURLOverride: String? = nil, restTimeout: Nanoseconds = .seconds(10)
    ) {
        self.subscription = subscription
        self.catalog = catalog
        self.books = books
        self.okxBookProtocol = okxBookProtocol
        self.reliability = reliability ?? VenueReliability.defaults(for: subscription.venue)
        self.broker = broker
        self.publisher = publisher
        self.seed = seed
        self.websocketURLOverride = websocketURLOverride
        self.restBaseURLOverride = restBaseURLOverride
        self.restTimeout = restTimeout
    }

    public var venue: Venue { subscription.venue }
}
