// iotflow-bridge: the value of one line-protocol field.
// SPDX-License-Identifier: Apache-2.0

/// A field value, one case per line-protocol field type.
///
/// The mapping writes every JSON number as `.float` so that `50` and `50.5` from one device
/// never make a field-type conflict; the other cases exist for explicit overrides.
public enum FieldValue: Equatable, Sendable {
    /// A 64-bit float; must be finite (line protocol has no NaN or infinity).
    case float(Double)
    /// A signed 64-bit integer, written with the `i` suffix.
    case integer(Int64)
    /// An unsigned 64-bit integer, written with the `u` suffix (InfluxDB 1.x rejects these).
    case unsigned(UInt64)
    /// A boolean, written `true` / `false`.
    case boolean(Bool)
    /// A string, written quoted with `"` and `\` escaped and control characters as spaces.
    case string(String)
}
