/// The bytes received from the peer and not yet consumed, with the search for the end of a head.
///
/// Invariants: `readIndex <= bytes.count`; offsets handed out or kept by callers (such as a
/// `HeadScan`) are relative to `readIndex`, so reclaiming consumed space never invalidates them.
struct InputBuffer {
    private(set) var bytes: [UInt8] = []
    private(set) var readIndex = 0

    /// Bytes received and not yet consumed.
    var readableCount: Int { bytes.count - readIndex }

    /// The readable bytes at `offsets` (relative to the read index), without copying.
    func slice(_ offsets: Range<Int>) -> ArraySlice<UInt8> {
        bytes[(readIndex + offsets.lowerBound)..<(readIndex + offsets.upperBound)]
    }

    mutating func append(contentsOf newBytes: some Collection<UInt8>) {
        reclaimConsumedSpace()
        bytes.append(contentsOf: newBytes)
    }

    mutating func consume(_ count: Int) {
        readIndex += count
    }

    /// Removes and returns the next `count` bytes. When they are the whole buffer (a large body
    /// moved to the front beforehand), the storage itself is handed over, without a copy.
    mutating func take(_ count: Int) -> [UInt8] {
        if readIndex == 0 && count == bytes.count {
            let all = bytes
            bytes = []
            return all
        }
        let taken = Array(slice(0..<count))
        readIndex += count
        return taken
    }

    /// Moves the readable bytes to the start of the storage (a copy of what is buffered, at most
    /// one read's worth when called right after a head).
    mutating func moveReadableToFront() {
        guard readIndex > 0 else { return }
        bytes.removeSubrange(0..<readIndex)
        readIndex = 0
    }

    /// Drops consumed bytes when that costs little compared to what is kept, and gives back a
    /// large allocation (one big body) once everything in it has been consumed.
    private mutating func reclaimConsumedSpace() {
        guard readIndex > 0 else { return }
        if readIndex == bytes.count {
            if bytes.capacity > 256 * 1024 {
                bytes = []
            } else {
                bytes.removeAll(keepingCapacity: true)
            }
            readIndex = 0
        } else if readIndex >= 4096 && readIndex >= bytes.count / 2 {
            moveReadableToFront()
        }
    }
}

/// How far the search for the empty line that ends a head has gone. Offsets are relative to
/// the read index, which stays at the first byte of the start line while the head is incomplete.
///
/// Keeping the search's progress means a head fed one byte at a time costs linear time, not
/// quadratic: no byte is looked at twice.
struct HeadScan: Equatable {
    /// Bytes of empty lines skipped before the start line; they count towards the head limit.
    var skipped = 0
    /// Offset of the first byte of the line the search is in.
    var lineStart = 0
    /// Offset of the first byte not yet looked at.
    var scanned = 0
}

/// The outcome of looking for the end of a head.
enum HeadSearch: Equatable {
    /// The head is the first `length` readable bytes, its final empty line included.
    case complete(length: Int)
    /// No empty line yet, and the head is still within the limit.
    case incomplete
    /// The head is already longer than the limit, whatever comes next.
    case tooLarge
}

extension InputBuffer {
    /// Looks for the end of the head starting at the read index, after dropping the empty lines
    /// (CRLF or bare LF) that may precede a start line (RFC 9112 §2.2).
    ///
    /// A line ends at LF, with or without a CR before it: bare LF line endings are accepted, as
    /// RFC 9112 §2.2 allows. The head ends at the first empty line. It may be at most `limit`
    /// bytes long counting the skipped empty lines, and the search never looks further than that,
    /// so an endless head is refused as soon as `limit` bytes without an empty line are buffered.
    mutating func searchHead(_ scan: inout HeadScan, limit: Int) -> HeadSearch {
        if scan.scanned == 0 {
            while readableCount > 0 {
                let first = bytes[readIndex]
                if first == ASCII.lf {
                    consume(1)
                    scan.skipped += 1
                } else if first == ASCII.cr {
                    guard readableCount >= 2 else { return .incomplete }  // a CR alone: wait for what follows
                    guard bytes[readIndex + 1] == ASCII.lf else { break }  // not an empty line: the start line's problem
                    consume(2)
                    scan.skipped += 2
                } else {
                    break
                }
                if scan.skipped > limit { return .tooLarge }
            }
        }
        let budget = max(0, limit - scan.skipped)
        let searchEnd = readIndex + min(readableCount, budget)
        var index = readIndex + scan.scanned
        while index < searchEnd {
            if bytes[index] == ASCII.lf {
                let lineLength = index - (readIndex + scan.lineStart)
                if lineLength == 0 || (lineLength == 1 && bytes[index - 1] == ASCII.cr) {
                    return .complete(length: index + 1 - readIndex)
                }
                scan.lineStart = index + 1 - readIndex
            }
            index += 1
        }
        scan.scanned = index - readIndex
        return readableCount > budget ? .tooLarge : .incomplete
    }
}
