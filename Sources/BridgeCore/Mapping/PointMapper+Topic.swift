// iotflow-bridge: what the topic gives a message: its route, measurement, device id and tags.
// SPDX-License-Identifier: Apache-2.0

extension PointMapper {
    /// The first route whose template matches, leaving its levels in `match`; when none does,
    /// `invalid_topic_level` if one route failed only on a level's content, else `topic_mismatch`.
    mutating func matchRoute(_ topic: UnsafeRawBufferPointer) -> (Route?, RefusalReason) {
        var reason = RefusalReason.topicMismatch
        matched = false
        for route in routes {
            switch route.template.match(topic, into: &match) {
            case nil:
                matched = true
                return (route, reason)
            case .invalidLevel: reason = .invalidTopicLevel
            case .shape: continue
            }
        }
        return (nil, reason)
    }

    /// The `device_id` of the last message mapped, when its topic matched a route and the id is
    /// valid (for logs and dead-letter records; `topic` must be that message's topic).
    public func deviceID(in topic: UnsafeRawBufferPointer) -> String? {
        guard matched, checkDeviceID(topic) == nil, let tag = match.tags.first(where: { $0.key == "device_id" }) else {
            return nil
        }
        return String(decoding: topic[tag.value], as: UTF8.self)
    }

    /// Where in `topic` the `device_id` of the last message mapped is, under the same conditions
    /// as `deviceID(in:)`, without making a string (the device table records it per message).
    public func deviceIDRange(in topic: UnsafeRawBufferPointer) -> Range<Int>? {
        guard matched, checkDeviceID(topic) == nil, let tag = match.tags.first(where: { $0.key == "device_id" }) else {
            return nil
        }
        return tag.value
    }

    /// Checks a matched topic beyond its template: the `device_id` level, and, when the whole topic
    /// becomes the `topic` tag, its UTF-8 (skipped levels are not checked by the template).
    func checkTopic(_ topic: UnsafeRawBufferPointer) -> RefusalReason? {
        if let reason = checkDeviceID(topic) { return reason }
        if topicTag && !topic.allSatisfy({ $0 < 0x80 }) && String(validating: topic, as: UTF8.self) == nil {
            return .invalidTopicLevel
        }
        return nil
    }

    /// Refuses a `device_id` level that is too long or holds a control character: the device id is
    /// how an operator finds a device, so it is not silently rewritten.
    private func checkDeviceID(_ topic: UnsafeRawBufferPointer) -> RefusalReason? {
        for tag in match.tags where tag.key == "device_id" {
            let level = topic[tag.value]
            guard level.count <= Self.maxDeviceIDBytes, !level.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
                return .invalidDeviceID
            }
        }
        return nil
    }

    func measurementName(_ topic: UnsafeRawBufferPointer, _ route: Route) -> String {
        route.measurement ?? String(decoding: topic[match.measurement], as: UTF8.self)
    }

    /// The device registry's tags for the topic's `device_id`.
    func deviceTags(_ topic: UnsafeRawBufferPointer) -> [DeviceRegistry.Tag] {
        guard !deviceRegistry.isEmpty, let device = match.tags.first(where: { $0.key == "device_id" }) else {
            return []
        }
        return deviceRegistry.devices[String(decoding: topic[device.value], as: UTF8.self)] ?? []
    }
}
