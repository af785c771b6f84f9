// iotflow-bridge: the growable FIFO ring under the point ring and the record ledger.
// SPDX-License-Identifier: Apache-2.0

import Testing

@testable import BridgeCore

@Suite struct RingTests {
    /// Checks every way of reading `ring` against `model`.
    private func expect(_ ring: Ring<Int>, equals model: [Int], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(ring.count == model.count, sourceLocation: sourceLocation)
        var front: [Int] = []
        ring.copyFront(ring.count, into: &front)
        #expect(front == model, sourceLocation: sourceLocation)
        #expect((0..<ring.count).map { ring[$0] } == model, sourceLocation: sourceLocation)
    }

    @Test func appendsAndFrontRemovalsKeepFIFOOrderAcrossWrapAndGrowth() {
        var ring = Ring<Int>()
        var model: [Int] = []
        var next = 0
        func append(_ n: Int) {
            let elements = Array(next..<next + n)
            elements.withUnsafeBufferPointer { ring.append(contentsOf: $0, filler: -1) }
            model += elements
            next += n
        }
        // The first allocation holds 1,024: fill it, free its front, then append past its end
        // (a wrapped run), and grow while wrapped.
        append(1000)
        ring.removeFront(700)
        model.removeFirst(700)
        append(600)
        expect(ring, equals: model)
        append(2000)
        expect(ring, equals: model)
        ring.removeFront(ring.count)
        model.removeAll()
        expect(ring, equals: model)
        ring.append(42)
        expect(ring, equals: [42])
    }

    @Test func randomAppendsAndRemovalsMatchAnArray() {
        var random = SplitMix64(state: 11)
        var ring = Ring<Int>()
        var model: [Int] = []
        for round in 0..<2000 {
            if Bool.random(using: &random) {
                let elements = (0..<Int.random(in: 0...300, using: &random)).map { round * 1000 + $0 }
                elements.withUnsafeBufferPointer { ring.append(contentsOf: $0, filler: 0) }
                model += elements
            } else {
                let n = Int.random(in: 0...model.count, using: &random)
                var taken: [Int] = []
                ring.copyFront(n, into: &taken)
                #expect(taken == Array(model.prefix(n)))
                ring.removeFront(n)
                model.removeFirst(n)
            }
            #expect(ring.count == model.count)
        }
        expect(ring, equals: model)
    }
}
