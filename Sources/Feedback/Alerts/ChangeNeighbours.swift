/// For each change, the nearest other change on an overlapping page before and after it: the two
/// cut its windows, so each window sees one state of the page.
///
/// Comparing every pair was quadratic in the changes (13,000 resolution days took seconds alone).
/// A change of one page overlaps only changes of that page and changes without a page (annotations
/// of a prefix): its page's nearest are found by binary search, and the others are walked outward
/// from its time until the first that overlaps. A change without a page walks all changes outward
/// from its own place, stopping at the first overlap, as before.
struct ChangeNeighbours {
    private let subjects: [ChangeSubject]
    /// Indices into `subjects` of each page's changes, ascending (so by time).
    private let byPage: [String: [Int]]
    /// Indices of the changes without a page, ascending.
    private let wide: [Int]

    /// `subjects` sorted by time.
    init(_ subjects: [ChangeSubject]) {
        self.subjects = subjects
        var byPage: [String: [Int]] = [:]
        var wide: [Int] = []
        for (index, subject) in subjects.enumerated() {
            if let page = subject.page { byPage[page, default: []].append(index) } else { wide.append(index) }
        }
        self.byPage = byPage
        self.wide = wide
    }

    /// When the first overlapping change after `index` happens (strictly later), if any.
    func next(after index: Int) -> Int64? {
        let subject = subjects[index]
        guard let page = subject.page else {
            return subjects[(index + 1)...].first { $0.at > subject.at && $0.overlaps(subject) }?.at
        }
        let same = byPage[page] ?? []
        let later = same.partitionIndex { subjects[$0].at > subject.at }
        let samePage = later < same.count ? subjects[same[later]].at : nil
        let start = wide.partitionIndex { subjects[$0].at > subject.at }
        let other = wide[start...].lazy.map { self.subjects[$0] }
            .prefix { samePage == nil || $0.at < samePage ?? 0 }.first { $0.overlaps(subject) }?.at
        return [samePage, other].compactMap { $0 }.min()
    }

    /// When the last overlapping change before `index` happened (strictly earlier), if any.
    func previous(before index: Int) -> Int64? {
        let subject = subjects[index]
        guard let page = subject.page else {
            return subjects[..<index].last { $0.at < subject.at && $0.overlaps(subject) }?.at
        }
        let same = byPage[page] ?? []
        let earlier = same.partitionIndex { subjects[$0].at >= subject.at } - 1
        let samePage = earlier >= 0 ? subjects[same[earlier]].at : nil
        let end = wide.partitionIndex { subjects[$0].at >= subject.at }
        let other = wide[..<end].reversed().lazy.map { self.subjects[$0] }
            .prefix { samePage == nil || $0.at > samePage ?? 0 }.first { $0.overlaps(subject) }?.at
        return [samePage, other].compactMap { $0 }.max()
    }
}
