// iotflow-bridge: the device registry file (YAML or JSON): device_id → tags.
// SPDX-License-Identifier: Apache-2.0

public import BridgeCore
import Foundation
import Yams

/// Reads `mapping.device_registry`:
///
/// ```yaml
/// dev-00042:
///   device_name: "Boiler room"
///   device_type: environmental
///   location: basement
/// ```
///
/// JSON (`{"dev-00042": {"location": "basement"}}`) is YAML too. Values must be scalars; numbers
/// and booleans are kept as the text written.
public enum DeviceRegistryFile {
    /// Reads and checks the file; the error says why it cannot be used, naming the device or line.
    public static func load(path: String) throws(BridgeError) -> DeviceRegistry {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw BridgeError("cannot read '\(path)': \(error.localizedDescription)")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw BridgeError("'\(path)' is not YAML or JSON: \(error)")
        }
        guard let root else { return DeviceRegistry() }
        guard let devices = root.mapping else {
            throw BridgeError("'\(path)' must map device ids to tags")
        }
        var registry: [String: [DeviceRegistry.Tag]] = [:]
        for (deviceNode, tagsNode) in devices {
            guard let device = deviceNode.string, !device.isEmpty, device.utf8.count <= PointMapper.maxDeviceIDBytes
            else { throw BridgeError("'\(path)': a device id is empty, not text, or over 128 bytes") }
            guard let tags = tagsNode.mapping else {
                throw BridgeError("'\(path)': device '\(device)' must map tag names to values")
            }
            var list: [DeviceRegistry.Tag] = []
            for (keyNode, valueNode) in tags {
                guard let key = keyNode.string, !key.isEmpty, let value = valueNode.scalar?.string, !value.isEmpty
                else {
                    throw BridgeError("'\(path)': device '\(device)' has a tag that is not name: value")
                }
                guard key != "device_id", key != "time" else {
                    throw BridgeError("'\(path)': device '\(device)' may not set tag '\(key)'")
                }
                list.append(DeviceRegistry.Tag(key: LineProtocolWriter.sanitizedFieldKey(key), value: value))
            }
            guard registry.updateValue(list, forKey: device) == nil else {
                throw BridgeError("'\(path)': device '\(device)' appears twice")
            }
        }
        return DeviceRegistry(devices: registry)
    }
}
