// iotflow-bridge: `influxdb.tls` as libcurl options.
// SPDX-License-Identifier: Apache-2.0

import BridgeCore
import Curl

extension CurlTLSOptions {
    /// The options for the `influxdb.tls` keys, for every `https://` URL of the section.
    init(_ tls: TLSConfiguration) {
        self.init(
            caFile: tls.caFile,
            caPath: tls.caPath,
            certFile: tls.certFile,
            keyFile: tls.keyFile,
            minimumVersion: tls.minVersion == .v1_3 ? .tls1_3 : .tls1_2,
            verifiesServer: !tls.insecureSkipVerify
        )
    }
}
