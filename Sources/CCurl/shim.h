// iotflow-bridge: libcurl for Swift.
// SPDX-License-Identifier: Apache-2.0
//
// curl_easy_setopt and curl_easy_getinfo are C-variadic, which Swift cannot call. Each wrapper
// below fixes the argument type for one kind of option, as swift-corelibs-foundation and GRDB do.
// They can go when Swift imports variadic C functions.
#pragma once
#include <curl/curl.h>

// For options that take a `long` (timeouts, flags, sizes that fit a long).
static inline CURLcode CCurl_easy_setopt_long(CURL * _Nonnull handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

// For options that take a `curl_off_t` (CURLOPT_POSTFIELDSIZE_LARGE).
static inline CURLcode CCurl_easy_setopt_off_t(CURL * _Nonnull handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

// For options that take a C string; libcurl copies strings (since 7.17), so the caller may free it.
static inline CURLcode CCurl_easy_setopt_string(CURL * _Nonnull handle, CURLoption option, const char * _Nullable value) {
    return curl_easy_setopt(handle, option, value);
}

// For options that take a pointer libcurl does not copy (POSTFIELDS, HTTPHEADER, WRITEDATA,
// ERRORBUFFER): the caller keeps the memory alive for the transfer or the handle's lifetime.
static inline CURLcode CCurl_easy_setopt_pointer(CURL * _Nonnull handle, CURLoption option, void * _Nullable value) {
    return curl_easy_setopt(handle, option, value);
}

// The write-callback type, so Swift can pass a @convention(c) function for CURLOPT_WRITEFUNCTION
// and CURLOPT_HEADERFUNCTION.
typedef size_t (*CCurl_write_callback)(char * _Nonnull data, size_t size, size_t count, void * _Nullable context);

static inline CURLcode CCurl_easy_setopt_write_callback(CURL * _Nonnull handle, CURLoption option, CCurl_write_callback _Nullable callback) {
    return curl_easy_setopt(handle, option, callback);
}

// For CURLINFO_* values returned as a `long` (CURLINFO_RESPONSE_CODE).
static inline CURLcode CCurl_easy_getinfo_long(CURL * _Nonnull handle, CURLINFO info, long * _Nonnull value) {
    return curl_easy_getinfo(handle, info, value);
}

// For CURLINFO_* values returned as a `curl_off_t` (CURLINFO_RETRY_AFTER).
static inline CURLcode CCurl_easy_getinfo_off_t(CURL * _Nonnull handle, CURLINFO info, curl_off_t * _Nonnull value) {
    return curl_easy_getinfo(handle, info, value);
}
