/// What Foundation's two JSON readers disagree on, found before either reads a document
/// (issue 21, fuzzing): `JSONDecoder` takes a raw control character inside a string, which
/// `JSONSerialization` refuses, and of a key written twice in one object the decoder keeps the
/// first value and `JSONSerialization` the last. Samspår reads an agreement with the decoder
/// and checks its keys for misspellings with `JSONSerialization`, so on such a document the
/// check looked at something else than what was read, or at nothing. RFC 8259 forbids the
/// first and leaves the second undefined; both are refused, with their line and column.
enum StrictJSON {
    struct Problem: Equatable {
        var line: Int
        var column: Int
        var reason: String
    }

    /// The first raw control character inside a string, or the first key repeated within one
    /// object (keys compared after their escapes are read), with line and column counted in
    /// bytes from 1; nil when there is neither. Not a validator: whatever else is wrong the
    /// decoder reports.
    static func firstProblem(_ bytes: [UInt8]) -> Problem? {
        func escaped(_ c: UInt8) -> [UInt8] {
            let hex = String(c, radix: 16)
            return Array("\\u".utf8) + Array((String(repeating: "0", count: 4 - hex.count) + hex).utf8)
        }
        var i = 0
        var line = 1
        var lineStart = 0
        // One entry per open container: the keys of an object so far (nil for an array), and
        // whether the next string in it is a key.
        var stack: [(keys: Set<[UInt8]>?, expectKey: Bool)] = []
        func position(_ at: Int) -> (Int, Int) { (line, at - lineStart + 1) }
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case 10:
                line += 1
                lineStart = i + 1
                i += 1
            case UInt8(ascii: "{"):
                stack.append((keys: [], expectKey: true))
                i += 1
            case UInt8(ascii: "["):
                stack.append((keys: nil, expectKey: false))
                i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if !stack.isEmpty { stack.removeLast() }
                i += 1
            case UInt8(ascii: ","):
                if let top = stack.last, top.keys != nil { stack[stack.count - 1].expectKey = true }
                i += 1
            case UInt8(ascii: ":"):
                if !stack.isEmpty { stack[stack.count - 1].expectKey = false }
                i += 1
            case UInt8(ascii: "\""):
                let start = i
                var key: [UInt8] = []
                i += 1
                var closed = false
                while i < bytes.count {
                    let c = bytes[i]
                    if c == UInt8(ascii: "\"") {
                        closed = true
                        i += 1
                        break
                    }
                    if c < 0x20 {
                        let (l, col) = position(i)
                        let hex = String(c, radix: 16, uppercase: true)
                        return Problem(
                            line: l, column: col,
                            reason: "a control character (U+\(String(repeating: "0", count: 4 - hex.count) + hex)) inside a string must be written as an escape"
                        )
                    }
                    if c == UInt8(ascii: "\\"), i + 1 < bytes.count {
                        let e = bytes[i + 1]
                        // Every ASCII character as its \u escape, so that "a", "\u0061" and
                        // "\u0061" in capitals are the same key (hex digits case-folded).
                        let simple: [UInt8: UInt8] = [
                            UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C, UInt8(ascii: "/"): 0x2F, UInt8(ascii: "b"): 0x08,
                            UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09,
                        ]
                        if e == UInt8(ascii: "u"), i + 5 < bytes.count {
                            key += Array("\\u".utf8) + bytes[(i + 2)...(i + 5)].map { $0 >= 65 && $0 <= 70 ? $0 | 0x20 : $0 }
                            i += 6
                        } else if let value = simple[e] {
                            key += escaped(value)
                            i += 2
                        } else {
                            key += [c, e]
                            i += 2
                        }
                        continue
                    }
                    if c < 0x80 { key += escaped(c) } else { key.append(c) }
                    i += 1
                }
                guard closed else { return nil }
                if let top = stack.last, top.expectKey, top.keys != nil {
                    if top.keys!.contains(key) {
                        let (l, col) = position(start)
                        return Problem(line: l, column: col, reason: "the key is written twice in one object")
                    }
                    stack[stack.count - 1].keys!.insert(key)
                    stack[stack.count - 1].expectKey = false
                }
            default:
                i += 1
            }
        }
        return nil
    }
}
