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
    }
}
