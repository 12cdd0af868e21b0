// The JSON parser and writer: exact number round trips, escapes, precise error positions, nesting limit.

import Foundation
import Testing
import KilnData

@Suite struct JSONTests {
    @Test func parsesAllValueKinds() throws {
        let text = #"{"a": [1, -2.5e3, true, false, null], "b": "x\"\\\/\n\u00e9\ud83d\ude00", "c": {}, "d": [], "e": -0}"#
        let value = try JSONParser.parse(Array(text.utf8))
        #expect(value == .object([
            ("a", .array([.int(1), .number(-2500), .bool(true), .bool(false), .null])),
            ("b", .string("x\"\\/\n\u{e9}\u{1F600}")), ("c", .object([])), ("d", .array([])), ("e", .int(0)),
        ]))
    }

    @Test func doublesRoundTripExactly() throws {
        var rng = SystemRandomNumberGenerator()
        let values = (0..<2000).map { _ in Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng)) }
            .filter(\.isFinite) + [0.1, 186.18098682963105, 1e-300, 5e-324, 1.7976931348623157e308, 123456789012345678]
        let text = JSONValue.array(values.map { .number($0) }).serialized()
        guard case .array(let parsed) = try JSONParser.parse(Array(text.utf8)) else { Issue.record("not an array"); return }
        for (value, back) in zip(values, parsed) {
            switch back {
            case .number(let d): #expect(d == value)
            case .int(let i): #expect(Double(i) == value)
            default: Issue.record("unexpected \(back)")
            }
        }
    }

    @Test func serialisationIsStable() {
        let value = JSONValue.object([("z", .int(1)), ("a", .array([.number(0.5), .number(2), .string("q\"\u{1}")]))])
        #expect(value.serialized() == #"{"z":1,"a":[0.5,2,"q\"\u0001"]}"#)
        #expect(JSONValue.number(.nan).serialized() == "null")
    }

    @Test(arguments: [
        ("{\"a\": 1,}", "expected a quoted key at line 1, column 9"),
        ("[1, 2\n, 3", "expected ',' or ']' in array at line 2, column 4"),
        ("[01]", "expected ',' or ']' in array at line 1, column 3"),
        ("[1.]", "expected a digit after '.'"),
        ("\"abc", "unterminated string"),
        ("[tru]", "invalid literal (expected true)"),
        ("\"\\x\"", "invalid escape"),
        ("\"\\ud800\"", "unpaired surrogate"),
        ("[1e999]", "out of range"),
        ("1 2", "unexpected text after the JSON value"),
        ("", "unexpected end of input"),
    ])
    func errorsGivePositions(_ text: String, _ expected: String) {
        let error = #expect(throws: DataError.self) { try JSONParser.parse(Array(text.utf8), file: "f.json") }
        #expect(error?.description.hasPrefix("f.json: not valid JSON: ") == true)
        #expect(error?.message.contains(expected) == true, "\(String(describing: error))")
    }

    @Test func invalidUTF8AndDeepNestingAreErrors() {
        #expect(throws: DataError.self) { try JSONParser.parse([0x22, 0xFF, 0xFE, 0x22]) }
        let deep = Array(String(repeating: "[", count: 100_000).utf8)
        let error = #expect(throws: DataError.self) { try JSONParser.parse(deep) }
        #expect(error?.message.contains("nesting deeper than 512") == true)
    }
}
