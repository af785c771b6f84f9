// iotflow-bridge: the few OpenSSL (libcrypto) calls check-config uses to read PEM files.
// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
