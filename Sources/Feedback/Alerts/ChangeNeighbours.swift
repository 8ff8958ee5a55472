/// For each change, the nearest other change on an overlapping page before and after it: the two
/// cut its windows, so each window sees one state of the page.
///
/// Comparing every pair was quadratic in the changes. A change of one page overlaps only changes of
/// that page and the changes without a page (annotations of a prefix, which are few), so only those
/// are looked at; a change without a page is compared with all, as before.
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
        return candidates(of: subject).lazy.map { self.subjects[$0] }
            .filter { $0.at > subject.at && $0.overlaps(subject) }.map(\.at).min()
    }

    /// When the last overlapping change before `index` happened (strictly earlier), if any.
    func previous(before index: Int) -> Int64? {
        let subject = subjects[index]
        return candidates(of: subject).lazy.map { self.subjects[$0] }
            .filter { $0.at < subject.at && $0.overlaps(subject) }.map(\.at).max()
    }

    /// The changes that can overlap `subject`: its page's nearest ones on either side and every change
    /// without a page; for a change without a page, all of them.
    private func candidates(of subject: ChangeSubject) -> [Int] {
        guard let page = subject.page, let same = byPage[page] else { return Array(subjects.indices) }
        // The page's changes are in time order: only the first later and the last earlier one can be nearest.
        let later = firstIndex(in: same) { subjects[$0].at > subject.at }
        let earlier = firstIndex(in: same) { subjects[$0].at >= subject.at } - 1
        var result = wide
        if later < same.count { result.append(same[later]) }
        if earlier >= 0 { result.append(same[earlier]) }
        return result
    }

    /// The first position in `indices` where `isPast` holds (it holds from some position on).
    private func firstIndex(in indices: [Int], where isPast: (Int) -> Bool) -> Int {
        var low = 0, high = indices.count
        while low < high {
            let middle = (low + high) / 2
            if isPast(indices[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
