/// The limits and choices that validation enforces; configurable by the operator.
public struct FeedbackRules: Sendable {
    public static let defaultReasons = [
        "solved-my-problem", "easy-to-understand", "good-examples", "inaccurate", "outdated",
        "missing-information", "hard-to-understand", "broken-example", "other",
    ]

    public var reasons: [String] = FeedbackRules.defaultReasons
    public var maxPageLength = 2048
    public var maxCommentLength = 4000
    public var maxSourceLength = 32
    public var defaultSource = "docs"
    public var maxLabels = 16
    public var maxLabelKeyLength = 32
    public var maxLabelValueLength = 128
    public var maxEmailLength = 254
    public var maxHeaderValueLength = 512
    public var normalizer = PageNormalizer()

    public init() {}
}
