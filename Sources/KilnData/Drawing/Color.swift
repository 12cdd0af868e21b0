// Colours for drawing: an RGB8 value type, a palette of distinct colours for instances and plot series, and
// continuous colormaps (viridis-like and jet) for heat maps such as attention maps.

/// An 8-bit RGB colour.
public struct Color: Equatable, Hashable, Sendable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    public static let black = Color(0, 0, 0)
    public static let white = Color(255, 255, 255)
    public static let gray = Color(128, 128, 128)
    public static let lightGray = Color(225, 225, 225)
    public static let red = Color(230, 25, 75)
    public static let green = Color(60, 180, 75)
    public static let blue = Color(0, 130, 200)

    /// Twelve well-separated colours; `palette(i)` cycles through them.
    public static let paletteColors: [Color] = [
        Color(31, 119, 180), Color(255, 127, 14), Color(44, 160, 44), Color(214, 39, 40), Color(148, 103, 189),
        Color(140, 86, 75), Color(227, 119, 194), Color(127, 127, 127), Color(188, 189, 34), Color(23, 190, 207),
        Color(0, 0, 128), Color(128, 128, 0),
    ]

    public static func palette(_ index: Int) -> Color {
        paletteColors[((index % paletteColors.count) + paletteColors.count) % paletteColors.count]
    }

    /// Linear blend: `self` at t = 0, `other` at t = 1.
    public func mixed(with other: Color, _ t: Float) -> Color {
        let t = min(max(t, 0), 1)
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Float(a) + (Float(b) - Float(a)) * t).rounded()) }
        return Color(mix(r, other.r), mix(g, other.g), mix(b, other.b))
    }
}

/// Maps values in [0, 1] to colours.
public enum Colormap: Sendable {
    /// Perceptually ordered dark purple → blue → green → yellow (viridis-like, 9 anchors).
    case viridis
    /// Blue → cyan → yellow → red (classic jet).
    case jet
    /// Black → white.
    case gray

    public func color(_ value: Float) -> Color {
        let v = value.isFinite ? min(max(value, 0), 1) : 0
        switch self {
        case .gray:
            let level = UInt8((v * 255).rounded())
            return Color(level, level, level)
        case .jet:
            func channel(_ center: Float) -> UInt8 { UInt8((min(max(1.5 - abs(4 * v - center), 0), 1) * 255).rounded()) }
            return Color(channel(3), channel(2), channel(1))
        case .viridis:
            let anchors = Self.viridisAnchors
            let position = v * Float(anchors.count - 1)
            let i = min(Int(position), anchors.count - 2)
            return anchors[i].mixed(with: anchors[i + 1], position - Float(i))
        }
    }

    private static let viridisAnchors: [Color] = [
        Color(68, 1, 84), Color(71, 45, 123), Color(59, 82, 139), Color(44, 114, 142), Color(33, 145, 140),
        Color(40, 174, 128), Color(94, 201, 98), Color(170, 220, 50), Color(253, 231, 37),
    ]
}
