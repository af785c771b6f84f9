// iotflow-bridge: libmosquitto for Swift.
// SPDX-License-Identifier: Apache-2.0
//
// libmosquitto needs no wrappers: none of the calls the bridge makes is variadic or a macro.
#pragma once
#include <mosquitto.h>
#include <mqtt_protocol.h>
