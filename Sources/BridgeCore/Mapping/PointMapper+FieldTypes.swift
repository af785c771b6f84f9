// iotflow-bridge: each field value settled against its type: declared, from the schema, or from the data.
// SPDX-License-Identifier: Apache-2.0

extension PointMapper {
    /// The field's type as declared (`field_types`), else as the registry knows it (the schema,
    /// then the data under `string_policy: field`); nil when neither says.
    func knownType(of key: String) -> (type: StoredFieldType, authoritative: Bool)? {
        if !overrides.isEmpty, let declared = overrides[key] { return (declared, true) }
        guard !registry.isEmpty, let known = registry.type(measurement: measurementKey, field: key) else { return nil }
        return (known.type, known.source == .schema)
    }

    /// The value as the field's type: declared, else from the schema, else from the data (a number,
    /// or a boolean, is a float; under `string_policy: field` the first type seen is recorded and
    /// wins). Refuses what the type cannot take without loss (`type_conflict`).
    mutating func settle(_ field: PendingField) -> Result<FieldValue, Refusal> {
        let type: StoredFieldType
        let authoritative: Bool
        if let known = knownType(of: field.key) {
            (type, authoritative) = known
        } else {
            authoritative = false
            switch (field.value, stringPolicy) {
            case (.bool, .field): type = .boolean
            case (.number, _), (.bool, _): type = .float
            case (.string, _): type = .string
            }
            // Only the old rule remembers the data's types; otherwise the data only ever gives float.
            if stringPolicy == .field && !registry.learn(type, measurement: measurementKey, field: field.key) {
                return .failure(Refusal(.typeRegistryFull))
            }
        }
        guard let value = Self.convert(field.value, to: type, numbersAsText: authoritative) else {
            return .failure(Refusal(.typeConflict))
        }
        return .success(value)
    }

    /// `value` as `type` when that loses nothing: a float takes numbers and booleans (1.0 / 0.0);
    /// integer and unsigned take whole numbers only (up to 2^53 from a double); boolean takes
    /// booleans; string takes text, and numbers and booleans as their text when `numbersAsText`
    /// (a declaration or the schema typed the field, so the text is what the operator wants).
    static func convert(_ value: Candidate, to type: StoredFieldType, numbersAsText: Bool) -> FieldValue? {
        switch (value, type) {
        case (.number(let number), .float):
            return .float(number.double)
        case (.bool(let flag), .float):
            return .float(flag ? 1 : 0)
        case (.number(let number), .integer):
            return exactInteger(number).map { .integer($0) }
        case (.number(let number), .unsigned):
            return exactInteger(number).flatMap { $0 >= 0 ? .unsigned(UInt64($0)) : nil }
        case (.bool(let flag), .boolean):
            return .boolean(flag)
        case (.string(let text), .string):
            return .string(text)
        case (.number(let number), .string) where numbersAsText:
            return .string(text(of: number))
        case (.bool(let flag), .string) where numbersAsText:
            return .string(flag ? "true" : "false")
        default:
            return nil
        }
    }

    /// A finite number as text: its exact integer, else the shortest double that reads back the same.
    static func text(of number: JSONNumber) -> String {
        number.exactInteger.map { String($0) } ?? number.double.description
    }

    private static func exactInteger(_ number: JSONNumber) -> Int64? {
        if let exact = number.exactInteger { return exact }
        let double = number.double
        guard double.rounded(.towardZero) == double, abs(double) <= 9_007_199_254_740_992 else { return nil }
        return Int64(double)
    }
}
