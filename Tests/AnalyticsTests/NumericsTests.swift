import Testing
@testable import Analytics

/// Tails against reference values, each with the command that produced it (scipy 1.17.1, mpmath 1.3.0).
@Suite struct NumericsTests {
    func relative(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool { abs(a - b) <= tolerance * abs(b) }

    @Test func poissonUpperTailOnBusyPages() {
        // python3 -c "from scipy.stats import poisson; print(poisson.sf(1199, 1000))"  -> 4.684203855872292e-10
        // (the old product of e^-λ terms returned 1.0 here: e^-1000 underflows)
        #expect(relative(Statistics.poissonUpperTail(1200, lambda: 1000), 4.684203855872292e-10, 1e-8))
        // python3 -c "from scipy.stats import poisson; print(poisson.sf(2, 1))"  -> 0.08030139707139418
        #expect(relative(Statistics.poissonUpperTail(3, lambda: 1), 0.08030139707139418))
        // python3 -c "from scipy.stats import poisson; print(poisson.sf(100999, 100000))"  -> 0.0007998010415545408
        #expect(relative(Statistics.poissonUpperTail(101_000, lambda: 100_000), 0.0007998010415545408, 1e-7))
        // python3 -c "from scipy.stats import poisson; print(poisson.sf(99999, 100000))"  -> 0.5004205221103651
        #expect(relative(Statistics.poissonUpperTail(100_000, lambda: 100_000), 0.5004205221103651, 1e-8))
        // python3 -c "from scipy.stats import poisson; print(poisson.cdf(900, 1000))"  -> 0.0006977673277963054
        #expect(relative(Statistics.poissonLowerTail(900, lambda: 1000), 0.0006977673277963054, 1e-8))
        #expect(Statistics.poissonUpperTail(0, lambda: 2) == 1)
        #expect(Statistics.poissonUpperTail(2, lambda: 0) == 0)
    }

    @Test func poissonTailsInLogSpaceWhereTheyUnderflow() {
        // python3 -c "import mpmath as m; m.mp.dps=40; print(m.log(m.gammainc(120000, 0, 100000, regularized=True)))"
        //   -> -1883.561868375329337392378859281286769331 (scipy's logsf says -inf)
        #expect(relative(Statistics.logPoissonUpperTail(120_000, lambda: 100_000), -1883.561868375329337, 1e-10))
        // python3 -c "import mpmath as m; m.mp.dps=40; print(m.log(m.gammainc(5000, 0, 1000, regularized=True)))"
        #expect(relative(Statistics.logPoissonUpperTail(5000, lambda: 1000), -4052.144032889392166, 1e-10))
    }

    @Test func normalTailsWithoutOneMinusCDF() {
        // python3 -c "from scipy.stats import norm; print(norm.sf(8.5), norm.sf(37), norm.logsf(40))"
        //   -> 9.47953482220325e-18 5.7255712225239266e-300 -804.6084420137539
        #expect(relative(Statistics.normalUpperTail(8.5), 9.47953482220325e-18, 1e-12))
        #expect(relative(Statistics.normalUpperTail(37), 5.7255712225239266e-300, 1e-10))
        #expect(relative(Statistics.logNormalUpperTail(40), -804.6084420137539, 1e-10))
        #expect(relative(Statistics.normalCDF(1.959963984540054), 0.975, 1e-12))
    }

    @Test func chiSquareAndBinomialTails() {
        // python3 -c "from scipy.stats import chi2; print(chi2.sf(20.0, 5))"  -> 0.0012497305630313773
        #expect(relative(Statistics.chiSquareUpperTail(20, df: 5), 0.0012497305630313773))
        // python3 -c "from scipy.stats import binom; print(binom.sf(29, 100, 0.2), binom.sf(59, 60, 0.5), binom.sf(4, 17, 0.88))"
        //   -> 0.011248978720991648 8.673617379884035e-19 0.9999999984117653
        #expect(relative(Statistics.binomialUpperTail(30, n: 100, p: 0.2), 0.011248978720991648))
        #expect(relative(Statistics.binomialUpperTail(60, n: 60, p: 0.5), 8.673617379884035e-19))
        #expect(relative(Statistics.binomialUpperTail(5, n: 17, p: 0.88), 0.9999999984117653))
        #expect(Statistics.binomialUpperTail(0, n: 5, p: 0.5) == 1)
        #expect(Statistics.binomialUpperTail(6, n: 5, p: 0.5) == 0)
    }

    @Test func benjaminiHochbergWhereTheRunningMinimumChangesAValue() {
        // python3 -c "from scipy.stats import false_discovery_control as f; print(list(f([0.01, 0.5, 0.011, 0.04])))"
        //   -> [0.022, 0.5, 0.022, 0.05333333333333333]: 0.01 alone would get 0.01 · 4 / 1 = 0.04
        let q = Statistics.benjaminiHochberg([0.01, 0.5, 0.011, 0.04])
        #expect(zip(q, [0.022, 0.5, 0.022, 0.05333333333333333]).allSatisfy { relative($0, $1, 1e-12) })
        #expect(Statistics.benjaminiHochberg([]).isEmpty)
    }

    @Test func calendarDays() {
        #expect(DayCalendar.date(0) == "1970-01-01")
        #expect(DayCalendar.weekday(0) == 3) // a Thursday
        #expect(DayCalendar.date(20_458) == "2026-01-05")
        #expect(DayCalendar.weekday(20_458) == 0) // a Monday
        #expect(DayCalendar.date(-1) == "1969-12-31")
    }
}
