// iotflow-bridge: a growable FIFO ring of trivially copyable elements.
// SPDX-License-Identifier: Apache-2.0

/// A FIFO of `Element`s stored in one circular array that grows by doubling.
///
/// Appends and front removals are O(1) amortised and copy with `memcpy`-like loops; nothing
/// allocates per element. Not thread-safe: the owner serialises access.
struct Ring<Element: BitwiseCopyable & Sendable>: Sendable {
    private var storage: [Element] = []
    private var head = 0
    private(set) var count = 0

    /// Appends `elements` at the back.
    mutating func append(contentsOf elements: UnsafeBufferPointer<Element>, filler: Element) {
        reserve(count + elements.count, filler: filler)
        var tail = (head + count) % max(storage.count, 1)
        var source = 0
        storage.withUnsafeMutableBufferPointer { buffer in
            while source < elements.count {
                let run = min(elements.count - source, buffer.count - tail)
                _ = UnsafeMutableBufferPointer(rebasing: buffer[tail..<tail + run])
                    .update(fromContentsOf: UnsafeBufferPointer(rebasing: elements[source..<source + run]))
                source += run
                tail = (tail + run) % buffer.count
            }
        }
        count += elements.count
    }

    /// Appends one element at the back.
    mutating func append(_ element: Element) {
        withUnsafePointer(to: element) { append(contentsOf: UnsafeBufferPointer(start: $0, count: 1), filler: element) }
    }

    /// The element `offset` places from the front.
    subscript(offset: Int) -> Element {
        storage[(head + offset) % storage.count]
    }

    /// Copies the first `n` elements to the end of `output`.
    func copyFront(_ n: Int, into output: inout [Element]) {
        precondition(n <= count)
        let first = min(n, storage.count - head)
        output.append(contentsOf: storage[head..<head + first])
        output.append(contentsOf: storage[0..<(n - first)])
    }

    /// Removes the first `n` elements.
    mutating func removeFront(_ n: Int) {
        precondition(n <= count)
        count -= n
        head = count == 0 ? 0 : (head + n) % storage.count
    }

    private mutating func reserve(_ needed: Int, filler: Element) {
        guard needed > storage.count else { return }
        var grown: [Element] = []
        grown.reserveCapacity(max(needed, storage.count * 2, 1024))
        copyFront(count, into: &grown)
        grown.append(contentsOf: repeatElement(filler, count: grown.capacity - grown.count))
        storage = grown
        head = 0
    }
}
