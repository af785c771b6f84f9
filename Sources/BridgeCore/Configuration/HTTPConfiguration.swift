// iotflow-bridge: where the admin HTTP endpoint listens.
// SPDX-License-Identifier: Apache-2.0

/// The `http` section.
public struct HTTPConfiguration: Equatable, Sendable {
    /// `host:port` or `[v6]:port` the endpoint (`/metrics`, `/health`, `/ready`, `/devices`)
    /// listens on; an address, never a name. Empty turns the endpoint off (`http.listen`).
    public var listen: String

    /// The defaults, which `etc/iotflow-bridge.yaml` shows.
    public init(listen: String = "127.0.0.1:9464") {
        self.listen = listen
    }

    /// The parsed address; nil when the endpoint is off or `listen` is invalid (which
    /// validation reports).
    public var listenAddress: ListenAddress? {
        guard !listen.isEmpty, case .success(let address) = ListenAddress.parse(listen) else { return nil }
        return address
    }
}

extension HTTPConfiguration {
    /// The section's keys, in file order.
    static let keys: [SectionKey<Self>] = [
        .key(
            "listen",
            \.listen,
            .string,
            KeyRule { listen in
                guard !listen.isEmpty, case .failure(let problem) = ListenAddress.parse(listen) else { return [] }
                return [problem.message]
            }
        )
    ]
}

/// An IP address and TCP port to listen on: `127.0.0.1:9464`, `[::1]:9464`.
public struct ListenAddress: Equatable, Sendable, CustomStringConvertible {
    /// The address without brackets (`127.0.0.1`, `::1`).
    public var host: String
    /// 1–65535; tests bind port 0 through `ListenAddress(host:port:)`.
    public var port: Int

    /// An address as given; no checks.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Why a `listen` value is not an address and port.
    public struct Problem: Error, Equatable, Sendable {
        /// One sentence, after the key's name.
        public var message: String
    }

    /// `host:port` or `[v6]:port`, the host an IPv4 or IPv6 address (names are refused: the
    /// endpoint must not depend on name resolution at start, nor move when DNS changes).
    public static func parse(_ text: String) -> Result<ListenAddress, Problem> {
        let host: Substring
        let port: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return .failure(Problem(message: "must be [v6-address]:port")) }
            port = rest.dropFirst()
            guard isIPv6(host) else { return .failure(Problem(message: "'\(host)' is not an IPv6 address")) }
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                return .failure(Problem(message: "must be host:port or [v6-address]:port, got '\(text)'"))
            }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
            guard isIPv4(host) else {
                return .failure(
                    Problem(message: "must be an IP address such as 127.0.0.1 or [::1], not a host name ('\(host)')")
                )
            }
        }
        guard let number = Int(port), (1...65535).contains(number) else {
            return .failure(Problem(message: "port must be between 1 and 65535, got '\(port)'"))
        }
        return .success(ListenAddress(host: String(host), port: number))
    }

    /// Whether only this machine can connect: 127.0.0.0/8 or ::1.
    public var isLoopback: Bool { host == "::1" || host.hasPrefix("127.") }

    /// `127.0.0.1:9464`, `[::1]:9464`.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Four decimal octets, 0–255 each.
    static func isIPv4(_ text: Substring) -> Bool {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4
            && octets.allSatisfy { $0.count <= 3 && !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) && UInt8($0) != nil }
    }

    /// Up to eight groups of 1–4 hex digits, at most one `::`; an IPv4 tail (`::ffff:10.0.0.1`)
    /// counts as two groups.
    static func isIPv6(_ text: Substring) -> Bool {
        let halves = text.split(separator: "::", maxSplits: 2, omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return false }
        var groups = 0
        for (index, half) in halves.enumerated() where !half.isEmpty {
            let parts = half.split(separator: ":", omittingEmptySubsequences: false)
            for (position, part) in parts.enumerated() {
                let isLast = index == halves.count - 1 && position == parts.count - 1
                if isLast && part.contains(".") {
                    guard isIPv4(part) else { return false }
                    groups += 2
                } else {
                    guard (1...4).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isHexDigit }) else {
                        return false
                    }
                    groups += 1
                }
            }
        }
        return halves.count == 2 ? groups <= 7 : groups == 8
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
