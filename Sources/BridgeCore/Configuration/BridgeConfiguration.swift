// iotflow-bridge: the whole configuration tree.
// SPDX-License-Identifier: Apache-2.0

/// Everything the bridge is configured with. `BridgeConfiguration()` is the built-in default,
/// which the sample file `etc/iotflow-bridge.yaml` spells out key by key.
public struct BridgeConfiguration: Equatable, Sendable {
    /// The `mqtt` section.
    public var mqtt: MQTTConfiguration
    /// The `mapping` section.
    public var mapping: MappingConfiguration
    /// The `influxdb` section.
    public var influxdb: InfluxConfiguration
    /// The `retry` section.
    public var retry: RetryConfiguration
    /// The `breaker` section.
    public var breaker: BreakerConfiguration
    /// The `delivery` section.
    public var delivery: DeliveryConfiguration
    /// The `dead_letters` section.
    public var deadLetters: DeadLetterConfiguration
    /// The `buffer` section.
    public var buffer: BufferConfiguration
    /// The `logging` section.
    public var logging: LoggingConfiguration
    /// The `shutdown` section.
    public var shutdown: ShutdownConfiguration
    /// The `http` section.
    public var http: HTTPConfiguration

    /// A configuration from its sections, each defaulted.
    public init(
        mqtt: MQTTConfiguration = .init(),
        mapping: MappingConfiguration = .init(),
        influxdb: InfluxConfiguration = .init(),
        retry: RetryConfiguration = .init(),
        breaker: BreakerConfiguration = .init(),
        delivery: DeliveryConfiguration = .init(),
        deadLetters: DeadLetterConfiguration = .init(),
        buffer: BufferConfiguration = .init(),
        logging: LoggingConfiguration = .init(),
        shutdown: ShutdownConfiguration = .init(),
        http: HTTPConfiguration = .init()
    ) {
        self.mqtt = mqtt
        self.mapping = mapping
        self.influxdb = influxdb
        self.retry = retry
        self.breaker = breaker
        self.delivery = delivery
        self.deadLetters = deadLetters
        self.buffer = buffer
        self.logging = logging
        self.shutdown = shutdown
        self.http = http
    }
}
