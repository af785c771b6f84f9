// iotflow-bridge: Base64 for payloads and basic-auth credentials.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Testing

@Suite struct Base64Tests {
    @Test(arguments: [[UInt8](), [0], [1, 2], [1, 2, 3], Array("user:pa ss".utf8), Array(0...255)])
    func base64RoundTrips(bytes: [UInt8]) {
        #expect(Base64.decode(Base64.encode(bytes)) == bytes)
    }

    @Test func base64MatchesRFC4648() {
        #expect(
            ["", "f", "fo", "foo", "foob", "fooba", "foobar"].map { Base64.encode(Array($0.utf8)) }
                == ["", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"]
        )
        #expect(Base64.decode("Zm9v=") == nil && Base64.decode("Zm=v") == nil && Base64.decode("Z!9v") == nil)
    }
}
