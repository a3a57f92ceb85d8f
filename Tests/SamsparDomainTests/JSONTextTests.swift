import SamsparDomain
import Testing

/// The JSON the API writes: strings are escaped where JSON requires it and copied whole where
/// it does not (issue 10 made the common case a single append).
@Suite("JSON text")
struct JSONTextTests {
    @Test func stringsAreEscapedExactlyWhereJSONRequires() {
        #expect(JSONValue.string("Åsa Öberg-Ärlig").serialized(pretty: false) == #""Åsa Öberg-Ärlig""#)
        #expect(JSONValue.string("a\"b\\c\nd\re\tf\u{1}g").serialized(pretty: false) == #""a\"b\\c\nd\re\tf\u0001g""#)
        #expect(JSONValue.object([("namn", .string("\"Tyresö\""))]).serialized(pretty: false) == #"{"namn":"\"Tyresö\""}"#)
        #expect(JSONValue.string("\u{1F}x😀").serialized(pretty: false) == #""\u001fx😀""#)
    }

    /// Numbers as Swift writes them, and the indented form two spaces a level (issue 27 writes
    /// the bytes itself; the stored closes' hashes depend on every byte of this).
    @Test func numbersAndIndentationAreExactlyTheseBytes() {
        let numbers: [JSONValue] = [.int(0), .int(7), .int(-42), .int(Int.max), .int(Int.min), .double(3), .double(-0.5), .double(1e15), .double(.nan)]
        #expect(
            JSONValue.array(numbers).serialized(pretty: false)
                == "[0,7,-42,9223372036854775807,-9223372036854775808,3,-0.5,1000000000000000.0,null]")
        let document = JSONValue.object([
            ("a", .array([.int(1), .object([("b", .null), ("c", .bool(true))])])), ("d", .array([])), ("e", .object([])), ("f", .bool(false)),
        ])
        #expect(
            document.serialized(pretty: true)
                == "{\n  \"a\": [\n    1,\n    {\n      \"b\": null,\n      \"c\": true\n    }\n  ],\n  \"d\": [],\n  \"e\": {},\n  \"f\": false\n}")
        #expect(document.utf8(pretty: false) == Array(#"{"a":[1,{"b":null,"c":true}],"d":[],"e":{},"f":false}"#.utf8))
    }
}
