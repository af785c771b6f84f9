// iotflow-bridge: tags an operator keeps per device (name, type, location), added to its points.
// SPDX-License-Identifier: Apache-2.0

/// Tags per `device_id`, from the `mapping.device_registry` file: `device_name`, `device_type`,
/// `location`, as in the IoTFlow data schema, or any other. Added to every point of the device;
/// a registry tag never replaces a tag from the topic, and wins over tags from the payload.
public struct DeviceRegistry: Equatable, Sendable {
    /// One tag.
    public struct Tag: Equatable, Sendable {
        /// The tag key.
        public var key: String
        /// The tag value, never empty.
        public var value: String

        /// A tag.
        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// The tags of each device, in file order.
    public private(set) var devices: [String: [Tag]]

    /// A registry; tags with an empty key or value are left out (line protocol cannot carry them).
    public init(devices: [String: [Tag]] = [:]) {
        self.devices = devices.mapValues { tags in tags.filter { !$0.key.isEmpty && !$0.value.isEmpty } }
    }

    /// Whether no device has tags (the mapper then skips the lookup).
    public var isEmpty: Bool { devices.isEmpty }
}
