// iotflow-bridge: device timestamps (RFC 3339 text or epoch numbers) to epoch nanoseconds.
// SPDX-License-Identifier: Apache-2.0

/// Converts the timestamps devices send into nanoseconds since the Unix epoch.
///
/// Line protocol timestamps are signed 64-bit nanoseconds, so the representable range is
/// 1677-09-21 to 2262-04-11; anything outside is refused rather than wrapped.
public enum Timestamp {
    /// Epoch numbers are told apart by magnitude, as InfluxDB 3's `precision=auto` does:
    ///
    /// | magnitude of the value | unit | example |
    /// |---|---|---|
    /// | below 1e11 | seconds | `1735732800` |
    /// | below 1e14 | milliseconds | `1735732800000` |
    /// | below 1e17 | microseconds | `1735732800000000` |
    /// | otherwise | nanoseconds | `1735732800000000000` |
    ///
    /// 1e11 seconds is the year 5138, so no real second count is mistaken for milliseconds.
    public static func nanoseconds(epoch number: JSONNumber) -> Int64? {
        let magnitude = abs(number.double)
        let nanosecondsPerUnit: Int64
        switch magnitude {
        case ..<1e11: nanosecondsPerUnit = 1_000_000_000
        case ..<1e14: nanosecondsPerUnit = 1_000_000
        case ..<1e17: nanosecondsPerUnit = 1_000
        default: nanosecondsPerUnit = 1
        }
        if let exact = number.exactInteger {
            let (product, overflow) = exact.multipliedReportingOverflow(by: nanosecondsPerUnit)
            return overflow ? nil : product
        }
        let scaled = (number.double * Double(nanosecondsPerUnit)).rounded()
        // Int64(exactly:) would refuse fractional values; the range check keeps the conversion safe.
        guard scaled.isFinite, scaled > -9.2e18, scaled < 9.2e18 else { return nil }
        return Int64(scaled)
    }

    /// Parses RFC 3339 / ISO 8601 date-times: `2024-01-01T12:00:00Z`, `2024-01-01 12:00:00.123+02:00`,
    /// up to nanosecond fractions (extra digits are truncated). A zone (`Z` or `±HH:MM`) is required,
    /// because a zone-less time from a device is ambiguous.
    public static func nanoseconds<Text: StringProtocol>(rfc3339 text: Text) -> Int64? {
        var scanner = DigitScanner(text.utf8)
        guard let year = scanner.number(digits: 4), scanner.skip("-"),
            let month = scanner.number(digits: 2), scanner.skip("-"),
            let day = scanner.number(digits: 2), scanner.skipAny("T", "t", " "),
            let hour = scanner.number(digits: 2), scanner.skip(":"),
            let minute = scanner.number(digits: 2), scanner.skip(":"),
            let second = scanner.number(digits: 2)
        else { return nil }
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
            hour < 24, minute < 60, second < 61  // 60: a leap second, folded into the next minute
        else { return nil }
        var fraction: Int64 = 0
        if scanner.skip(".") {
            var digits = 0
            while let digit = scanner.digit() {
                if digits < 9 { fraction = fraction * 10 + Int64(digit) }
                digits += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 9) { fraction *= 10 }
        }
        var offsetSeconds: Int64 = 0
        if scanner.skipAny("Z", "z") {
        } else if let sign = scanner.sign() {
            guard let offsetHours = scanner.number(digits: 2), scanner.skip(":"),
                let offsetMinutes = scanner.number(digits: 2), offsetHours < 24, offsetMinutes < 60
            else { return nil }
            offsetSeconds = sign * Int64(offsetHours * 3600 + offsetMinutes * 60)
        } else {
            return nil
        }
        guard scanner.atEnd else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - offsetSeconds
        let (nanoseconds, overflow1) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (total, overflow2) = nanoseconds.addingReportingOverflow(fraction)
        return overflow1 || overflow2 ? nil : total
    }

    /// RFC 3339 text in UTC with nine fraction digits: `2024-01-01T12:00:00.000000000Z`.
    public static func rfc3339(nanoseconds: Int64) -> String {
        let (seconds, fraction) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        let wholeSeconds = fraction < 0 ? seconds - 1 : seconds
        let nanos = fraction < 0 ? fraction + 1_000_000_000 : fraction
        let (days, secondOfDay) = wholeSeconds.quotientAndRemainder(dividingBy: 86_400)
        let day = secondOfDay < 0 ? days - 1 : days
        let second = secondOfDay < 0 ? secondOfDay + 86_400 : secondOfDay
        let (year, month, dayOfMonth) = civilFromDays(day)
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(dayOfMonth, 2))T\(pad(second / 3600, 2)):"
            + "\(pad(second / 60 % 60, 2)):\(pad(second % 60, 2)).\(pad(nanos, 9))Z"
    }

    /// The date of a day count since 1970-01-01 (Howard Hinnant's algorithm, the inverse of
    /// `daysFromCivil`).
    private static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

/// Reads fixed-width digits and separators from UTF-8 text.
private struct DigitScanner<Bytes: Collection<UInt8>> {
    let bytes: Bytes
    var index: Bytes.Index

    init(_ bytes: Bytes) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    var atEnd: Bool { index == bytes.endIndex }

    mutating func digit() -> Int? {
        guard index != bytes.endIndex else { return nil }
        let byte = bytes[index]
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        bytes.formIndex(after: &index)
        return Int(byte - UInt8(ascii: "0"))
    }

    mutating func number(digits count: Int) -> Int? {
        var value = 0
        for _ in 0..<count {
            guard let digit = digit() else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    mutating func skip(_ character: Unicode.Scalar) -> Bool {
        guard index != bytes.endIndex, bytes[index] == UInt8(ascii: character) else { return false }
        bytes.formIndex(after: &index)
        return true
    }

    mutating func skipAny(_ characters: Unicode.Scalar...) -> Bool {
        characters.contains { skip($0) }
    }

    mutating func sign() -> Int64? {
        if skip("+") { return 1 }
        if skip("-") { return -1 }
        return nil
    }
}
